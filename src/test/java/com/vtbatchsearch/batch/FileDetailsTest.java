package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FileDetailsTest {
    @Test
    void keepsMaliciousThenSuspiciousEnginesAndTheNames() {
        String raw = """
                {"data": {"attributes": {
                  "last_analysis_results": {
                    "zeta": {"category": "malicious", "result": "Trojan.Z"},
                    "Alpha": {"category": "suspicious", "result": null},
                    "beta": {"category": "undetected", "result": null},
                    "Gamma": {"category": "malicious", "result": "<b>Gen</b>"},
                    "delta": {"category": "type-unsupported"}},
                  "names": ["a.exe", "b.dll", 7]}}}""";
        FileDetails details = FileDetails.fromRawJson("h", "done", raw);
        assertEquals(List.of(new FileDetails.Engine("Gamma", "malicious", "<b>Gen</b>"),
                new FileDetails.Engine("zeta", "malicious", "Trojan.Z"),
                new FileDetails.Engine("Alpha", "suspicious", null)), details.engines());
        assertEquals(List.of("a.exe", "b.dll"), details.names());
    }

    @Test
    void noAnswerOrAnUnreadableOneGivesEmptyLists() {
        assertEquals(new FileDetails("h", "pending", List.of(), List.of()), FileDetails.fromRawJson("h", "pending", null));
        assertEquals(new FileDetails("h", "done", List.of(), List.of()), FileDetails.fromRawJson("h", "done", "{not json"));
        assertEquals(new FileDetails("h", "done", List.of(), List.of()), FileDetails.fromRawJson("h", "done", "{}"));
    }

    @Test
    void namesAreCapped() {
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            names.append(i == 0 ? "" : ",").append("\"n").append(i).append('"');
        }
        FileDetails details = FileDetails.fromRawJson("h", "done", "{\"data\":{\"attributes\":{\"names\":[" + names + "]}}}");
        assertEquals(FileDetails.MAX_NAMES, details.names().size());
        assertEquals("n0", details.names().get(0));
    }
}
