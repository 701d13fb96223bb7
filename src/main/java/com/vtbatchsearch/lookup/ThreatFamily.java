package com.vtbatchsearch.lookup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * A file's threat family as VirusTotal names it: the most often given of
 * {@code popular_threat_classification.popular_threat_name}, read from a stored answer.
 */
public final class ThreatFamily {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ThreatFamily() {
    }

    /** The family in the raw answer, cleaned like other stored text; null when it names none or is unreadable. */
    public static String of(String rawJson) {
        if (rawJson == null || rawJson.isEmpty()) {
            return null;
        }
        try {
            JsonNode names = JSON.readTree(rawJson).path("data").path("attributes")
                    .path("popular_threat_classification").path("popular_threat_name");
            String best = null;
            long bestCount = Long.MIN_VALUE;
            for (JsonNode name : names) {
                long count = name.path("count").asLong(0);
                if (name.path("value").isTextual() && count > bestCount) {
                    best = name.path("value").asText();
                    bestCount = count;
                }
            }
            return StoredText.clean(best);
        } catch (IOException e) {
            return null;
        }
    }
}
