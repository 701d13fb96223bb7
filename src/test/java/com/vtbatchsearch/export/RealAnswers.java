package com.vtbatchsearch.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.FileReport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** VirusTotal's real answers of {@code src/test/resources/vt-real/}, read as the client reads them. */
final class RealAnswers {
    static final ObjectMapper JSON = new ObjectMapper();

    private RealAnswers() {
    }

    static String raw(String name) throws IOException {
        try (InputStream in = RealAnswers.class.getResourceAsStream("/vt-real/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The answer as stored; the data-only and partial ones wrapped as VirusTotal sends them. */
    static FileReport report(String name) throws IOException {
        String raw = raw(name);
        JsonNode root = JSON.readTree(raw);
        if (!root.has("data")) {
            raw = "{\"data\": " + raw + "}";
            root = JSON.readTree(raw);
        }
        JsonNode a = root.path("data").path("attributes");
        JsonNode stats = a.path("last_analysis_stats");
        List<String> tags = new ArrayList<>();
        a.path("tags").forEach(t -> tags.add(t.asText()));
        return new FileReport(a.path("sha256").asText(), a.path("md5").asText(), a.path("sha1").asText(),
                stats.path("malicious").asInt(), stats.path("suspicious").asInt(), stats.path("undetected").asInt(),
                stats.path("harmless").asInt(),
                a.path("popular_threat_classification").path("suggested_threat_label").asText(null),
                a.path("meaningful_name").asText(null), a.path("type_description").asText(null),
                Instant.ofEpochSecond(a.path("first_submission_date").asLong()),
                Instant.ofEpochSecond(a.path("last_analysis_date").asLong()), null, List.copyOf(tags), raw);
    }
}
