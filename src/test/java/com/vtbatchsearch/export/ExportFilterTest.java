package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an export says of its filters: safe file names, stable keys, links that carry filters and sort. */
class ExportFilterTest {
    private static ExportFilter filter(String... pairs) {
        Map<String, String[]> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], new String[] {pairs[i + 1]});
        }
        return ExportFilter.from(map);
    }

    private static final String ID = "6f1c2a3b-0000-4000-8000-000000000000";

    @Test
    void fileNamesSayTheBatchAndTheFilterInSafeCharacters() {
        assertEquals("vt-batch-6f1c2a3b.stix.json", filter().fileName(ID, "stix.json"));
        assertEquals("vt-batch-6f1c2a3b.stix.json", filter("verdict", "all", "sort", "detections", "dir", "desc",
                "offset", "100", "limit", "50", "format", "stix").fileName(ID, "stix.json"));
        assertEquals("vt-batch-6f1c2a3b-malicious.stix.json", filter("verdict", "malicious").fileName(ID, "stix.json"));
        assertEquals("vt-batch-6f1c2a3b-malicious-mindetections-5-gap-family-emotet.sha256.txt",
                filter("family", "Emotet", "gap", "true", "minDetections", "5", "verdict", "malicious")
                        .fileName(ID, "sha256.txt"));
        String hostile = filter("q", "../../etc/passwd\"; rm -rf /\r\nX-Evil: 1 «ü»").fileName(ID, "md5.txt");
        assertTrue(hostile.matches("vt-batch-6f1c2a3b-[a-z0-9-]+\\.md5\\.txt"), hostile);
        assertEquals("vt-batch-6f1c2a3b-q-etc-passwd-rm-rf-x-evil-1.md5.txt", hostile);
        String longOne = filter("q", "a".repeat(200)).namePart();
        assertTrue(longOne.length() <= 60, longOne);
    }

    @Test
    void describesKeysAndLinksTheFilters() {
        ExportFilter f = filter("q", "emotet & co", "verdict", "malicious", "sort", "detections", "dir", "desc");
        assertEquals("verdict=malicious, q=emotet & co", f.describe());
        assertEquals(f.key(), filter("verdict", "malicious", "q", "emotet & co").key(), "the sort is not a filter");
        assertEquals("verdict=malicious&q=emotet+%26+co&sort=detections&dir=desc", f.queryString());
        assertEquals("every row", filter("sort", "name").describe());
        assertEquals("every row", filter("engines", "Microsoft").describe(), "engines alone choose columns");
        assertEquals("gap=true, engines=Microsoft", filter("engines", "Microsoft", "gap", "true").describe());
        assertTrue(filter("sort", "name").isEmpty());
    }
}
