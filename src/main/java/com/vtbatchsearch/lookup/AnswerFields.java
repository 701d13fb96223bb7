package com.vtbatchsearch.lookup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a report shows of a file beyond its verdict counts, picked out of VirusTotal's answer once, when it
 * is stored. Real answers omit fields rather than send null ({@code popular_threat_classification},
 * {@code signature_info}, ...) and older ones shape some differently ({@code popular_threat_name} as
 * {@code [name, count]} pairs); a missing field is null or an empty list here, never 0 or "null".
 *
 * @param size            bytes; null when the answer does not say
 * @param timesSubmitted  how often the file was submitted to VirusTotal
 * @param family          the top {@code popular_threat_name} value (highest count, the first on a tie)
 * @param category        the top {@code popular_threat_category} value
 * @param signer          the first signer of {@code signature_info.signers}
 * @param signerVerified  whether {@code signature_info.verified} says "Signed"; null when it says nothing
 * @param yaraRules       names of the matching crowdsourced YARA rules, each once, in the answer's order
 * @param sigma           Sigma rule matches by severity (critical, high, medium, low); null without them
 * @param sandboxVerdicts each sandbox's category and the malware names it gave
 * @param firstSeenYear   UTC year of the first submission
 * @param flagged         the engines that said malicious or suspicious, by engine name
 * @param engines         every engine named in the answer's results
 */
public record AnswerFields(Long size, Long timesSubmitted, String family, String category, String signer,
        Boolean signerVerified, List<String> yaraRules, Map<String, Integer> sigma,
        List<SandboxVerdict> sandboxVerdicts, Integer firstSeenYear, Map<String, Flag> flagged,
        Set<String> engines) {

    /** Bounds: an answer is stored once, but its lists are shown on every page. */
    static final int MAX_RULES = 100;
    static final int MAX_SANDBOXES = 50;
    static final int MAX_NAMES_PER_SANDBOX = 20;
    static final int MAX_TEXT = 300;
    private static final List<String> SEVERITIES = List.of("critical", "high", "medium", "low");
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final AnswerFields EMPTY = new AnswerFields(null, null, null, null, null, null, List.of(), null,
            List.of(), null, Map.of(), Set.of());

    /** One sandbox's verdict; {@code malwareNames} empty when it named none. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record SandboxVerdict(String sandbox, String category, List<String> malwareNames) {
    }

    /** What an engine that flagged the file said: malicious or suspicious, and its name for it (may be null). */
    public record Flag(String category, String result) {
    }

    /**
     * Reads an answer as VirusTotal sends it ({@code {"data": {"attributes": ...}}}) or its {@code data}
     * member alone; unreadable or null text gives {@link #EMPTY}.
     */
    public static AnswerFields parse(String rawJson) {
        if (rawJson == null || rawJson.isBlank()) {
            return EMPTY;
        }
        try {
            JsonNode root = JSON.readTree(rawJson);
            JsonNode data = root.has("data") ? root.path("data") : root;
            return from(data.path("attributes"));
        } catch (JsonProcessingException e) {
            return EMPTY;
        }
    }

    /** Reads the {@code attributes} of a file object. */
    public static AnswerFields from(JsonNode a) {
        JsonNode classification = a.path("popular_threat_classification");
        JsonNode signature = a.path("signature_info");
        Instant firstSeen = a.path("first_submission_date").isNumber()
                ? Instant.ofEpochSecond(a.path("first_submission_date").asLong()) : null;
        return new AnswerFields(
                wholeNumber(a.path("size")),
                wholeNumber(a.path("times_submitted")),
                top(classification.path("popular_threat_name")),
                top(classification.path("popular_threat_category")),
                signer(signature.path("signers")),
                verified(signature.path("verified")),
                yaraRules(a.path("crowdsourced_yara_results")),
                sigma(a.path("sigma_analysis_stats")),
                sandboxes(a.path("sandbox_verdicts")),
                firstSeen == null ? null : firstSeen.atZone(ZoneOffset.UTC).getYear(),
                flagged(a.path("last_analysis_results")),
                engines(a.path("last_analysis_results")));
    }

    private static Long wholeNumber(JsonNode node) {
        return node.isIntegralNumber() && node.asLong() >= 0 ? node.asLong() : null;
    }

    /**
     * The value with the highest count of {@code [{"value": v, "count": n}, ...]}, or of the older
     * {@code [[v, n], ...]}; the first listed wins a tie.
     */
    static String top(JsonNode entries) {
        String best = null;
        long bestCount = Long.MIN_VALUE;
        for (JsonNode entry : entries) {
            JsonNode value;
            JsonNode count;
            if (entry.isArray()) {
                value = entry.path(0);
                count = entry.path(1);
            } else {
                value = entry.path("value");
                count = entry.path("count");
            }
            String text = text(value);
            if (text == null) {
                continue;
            }
            long n = count.isNumber() ? count.asLong() : 0;
            if (best == null || n > bestCount) {
                best = text;
                bestCount = n;
            }
        }
        return best;
    }

    /** {@code "Microsoft Windows; Microsoft Windows Production PCA 2011; ..."}: the first is the file's signer. */
    private static String signer(JsonNode signers) {
        String all = text(signers);
        if (all == null) {
            return null;
        }
        String first = all.split(";", 2)[0].strip();
        return first.isEmpty() ? null : clip(first);
    }

    private static Boolean verified(JsonNode verified) {
        String text = text(verified);
        return text == null ? null : text.equalsIgnoreCase("Signed");
    }

    private static List<String> yaraRules(JsonNode results) {
        Set<String> rules = new LinkedHashSet<>();
        for (JsonNode result : results) {
            String name = text(result.path("rule_name"));
            if (name != null && rules.size() < MAX_RULES) {
                rules.add(clip(name));
            }
        }
        return List.copyOf(rules);
    }

    private static Map<String, Integer> sigma(JsonNode stats) {
        if (!stats.isObject()) {
            return null;
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String severity : SEVERITIES) {
            JsonNode n = stats.path(severity);
            counts.put(severity, n.isIntegralNumber() ? n.asInt() : 0);
        }
        return counts;
    }

    private static List<SandboxVerdict> sandboxes(JsonNode verdicts) {
        List<SandboxVerdict> list = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = verdicts.fields();
        while (fields.hasNext() && list.size() < MAX_SANDBOXES) {
            Map.Entry<String, JsonNode> entry = fields.next();
            JsonNode verdict = entry.getValue();
            String name = text(verdict.path("sandbox_name"));
            List<String> malware = new ArrayList<>();
            for (JsonNode m : verdict.path("malware_names")) {
                String text = text(m);
                if (text != null && malware.size() < MAX_NAMES_PER_SANDBOX) {
                    malware.add(clip(text));
                }
            }
            list.add(new SandboxVerdict(clip(name != null ? name : entry.getKey()),
                    clip(text(verdict.path("category"))), List.copyOf(malware)));
        }
        return List.copyOf(list);
    }

    private static Map<String, Flag> flagged(JsonNode results) {
        Map<String, Flag> flags = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = results.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> entry = fields.next();
            String category = text(entry.getValue().path("category"));
            if ("malicious".equals(category) || "suspicious".equals(category)) {
                flags.put(clip(entry.getKey()), new Flag(category, clip(text(entry.getValue().path("result")))));
            }
        }
        return flags;
    }

    private static Set<String> engines(JsonNode results) {
        Set<String> names = new TreeSet<>();
        results.fieldNames().forEachRemaining(name -> names.add(clip(name)));
        return names;
    }

    private static String text(JsonNode node) {
        if (node == null || !node.isTextual()) {
            return null;
        }
        String text = StoredText.clean(node.asText());
        return text == null || text.isBlank() ? null : text.strip();
    }

    private static String clip(String text) {
        return text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT);
    }

    /** The JSON text stored for a list or map column; null for null. */
    public static String toJson(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a stored JSON column back; null (or unreadable) stays null. */
    public static <T> T fromJson(String text, com.fasterxml.jackson.core.type.TypeReference<T> type) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return JSON.readValue(text, type);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

}
