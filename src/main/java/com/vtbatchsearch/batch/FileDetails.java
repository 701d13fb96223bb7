package com.vtbatchsearch.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.LookupRepository;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * What a report row expands to: the engines that flagged a file (malicious or suspicious, with the
 * name each gave it) and the file names VirusTotal knows, read from the stored raw answer.
 *
 * @param status  the item's lookup status; engines and names are empty unless it is done
 */
public record FileDetails(String hash, String status, List<Engine> engines, List<String> names,
        List<FileDetails.EarlierAnswer> history) {
    private static final Logger LOG = Logger.getLogger(FileDetails.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A file can have thousands of names; the row shows the first ones VirusTotal lists. */
    static final int MAX_NAMES = 50;

    public FileDetails(String hash, String status, List<Engine> engines, List<String> names) {
        this(hash, status, engines, names, List.of());
    }

    /**
     * An earlier answer of the hash: when it was stored and when a newer one replaced it (ISO-8601 UTC), its
     * verdict category (malicious, suspicious, clean or not_found) and figures (null when not found).
     */
    public record EarlierAnswer(String answeredAt, String replacedAt, String verdict, Integer malicious,
            Integer suspicious, Integer undetected, Integer harmless, String label, String family) {
        static EarlierAnswer of(LookupRepository.EarlierAnswer a, VerdictPolicy policy) {
            boolean found = "done".equals(a.status()) && a.malicious() != null;
            String verdict = !found ? "not_found"
                    : policy.categorise(a.malicious(), a.suspicious() == null ? 0 : a.suspicious()).key();
            return new EarlierAnswer(a.answeredAt().toString(), a.replacedAt().toString(), verdict, a.malicious(),
                    a.suspicious(), a.undetected(), a.harmless(), a.label(), a.family());
        }
    }

    /** The same details with the hash's earlier answers (newest first; see {@code verdict_history}), their verdicts under {@code policy}. */
    public FileDetails withHistory(List<LookupRepository.EarlierAnswer> earlier, VerdictPolicy policy) {
        return new FileDetails(hash, status, engines, names, earlier.stream().map(a -> EarlierAnswer.of(a, policy))
                .toList());
    }

    /** One engine's verdict. */
    public record Engine(String engine, String category, String result) {
    }

    static FileDetails fromRawJson(String hash, String status, String rawJson) {
        if (rawJson == null) {
            return new FileDetails(hash, status, List.of(), List.of());
        }
        JsonNode attributes;
        try {
            attributes = JSON.readTree(rawJson).path("data").path("attributes");
        } catch (JsonProcessingException e) {
            LOG.warning(() -> "stored answer for " + hash + " is not readable JSON: " + e.getOriginalMessage());
            return new FileDetails(hash, status, List.of(), List.of());
        }
        List<Engine> engines = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> results = attributes.path("last_analysis_results").fields();
        while (results.hasNext()) {
            Map.Entry<String, JsonNode> entry = results.next();
            String category = entry.getValue().path("category").asText("");
            if (category.equals("malicious") || category.equals("suspicious")) {
                JsonNode result = entry.getValue().path("result");
                engines.add(new Engine(entry.getKey(), category, result.isTextual() ? result.asText() : null));
            }
        }
        engines.sort(Comparator.comparing((Engine e) -> !e.category().equals("malicious"))
                .thenComparing(e -> e.engine().toLowerCase(java.util.Locale.ROOT)));
        List<String> names = new ArrayList<>();
        for (JsonNode name : attributes.path("names")) {
            if (name.isTextual() && names.size() < MAX_NAMES) {
                names.add(name.asText());
            }
        }
        return new FileDetails(hash, status, List.copyOf(engines), List.copyOf(names));
    }
}
