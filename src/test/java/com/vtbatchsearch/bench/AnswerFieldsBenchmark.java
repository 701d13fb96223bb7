package com.vtbatchsearch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.batch.VerdictPolicy;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What the answer fields cost on a big batch (not a test: it prints figures). Seeds a SQLite database with
 * answers of the real ones' size and fields (the real answers of {@code src/test/resources/vt-real/}, each
 * hash's ids put in), stores a batch of {@code -Dsize=100000} hashes, half answered, under
 * MY_ENGINES=CrowdStrike,NoSuchEngine, and times the facets (counted afresh), the counts with the gap, and
 * the first page of a facet filter, the gap filter, minDetections and a YARA rule, each the median of
 * {@code -Drepeat=5} runs. Run: {@code bench/answer-fields}.
 */
public final class AnswerFieldsBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnswerFieldsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int size = Integer.getInteger("size", 100_000);
        int repeat = Integer.getInteger("repeat", 5);
        Path dir = Files.createTempDirectory("answer-fields-bench");
        List<String[]> templates = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/vt-real"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("file-")).sorted().toList()) {
                String text = Files.readString(file);
                JsonNode root = JSON.readTree(text);
                if (!root.has("data")) {
                    text = "{\"data\": " + text + "}";
                    root = JSON.readTree(text);
                }
                JsonNode a = root.path("data").path("attributes");
                templates.add(new String[] {text, a.path("sha256").asText(), a.path("sha1").asText(),
                        a.path("md5").asText(), a.path("last_analysis_stats").path("malicious").asText()});
            }
        }
        try (Database database = Database.openSqlite(dir)) {
            LookupRepository lookups = new LookupRepository(database);
            BatchRepository repository = new BatchRepository(database, new Freshness(Duration.ofDays(3650),
                    Duration.ofDays(3650)), new VerdictPolicy(1, List.of("CrowdStrike", "NoSuchEngine")));
            BatchService service = new BatchService(repository, new EmbeddedLookupQueue(), null, Clock.systemUTC());
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<?>> parts = new ArrayList<>();
            for (int part = 0; part < 2; part++) {
                int first = part;
                parts.add(pool.submit(() -> {
                    for (int n = first; n < size / 2; n += 2) {
                        String[] t = templates.get(n % templates.size());
                        String sha256 = "%064x".formatted(n);
                        String sha1 = "%040x".formatted(n);
                        String md5 = "%032x".formatted(n);
                        String raw = t[0].replace(t[1], sha256).replace(t[2], sha1).replace(t[3], md5);
                        lookups.saveFound(md5, new FileReport(sha256, md5, sha1, Integer.parseInt(t[4]), 0, 70, 0,
                                null, "file-" + n, "Win32 EXE", Instant.parse("2020-01-01T00:00:00Z"), Instant.now(),
                                0, List.of("peexe"), raw), Instant.now());
                    }
                    return null;
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
            pool.shutdown();
            System.out.printf("seeded %,d answers in %.1f s%n", size / 2, (System.nanoTime() - start) / 1e9);
            Map<String, HashType> distinct = new LinkedHashMap<>();
            for (int n = 0; n < size; n++) {
                distinct.put("%032x".formatted(n), HashType.MD5);
            }
            String id = service.submit(new ExtractedHashes(distinct, size)).id();
            try (Connection c = database.connection(); Statement s = c.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            System.out.printf("disk per cached answer (the whole SQLite file ÷ answers, batch included): %,d bytes%n",
                    Files.size(dir.resolve("vt-batch-search.db")) / (size / 2));

            time(repeat, "facets, all six, counted afresh", () -> {
                BatchService fresh = new BatchService(repository, new EmbeddedLookupQueue(), null, Clock.systemUTC());
                return fresh.facets(id, List.of(BatchRepository.Facet.values())).orElseThrow().get("family").size();
            });
            time(repeat, "counts with the gap (MY_ENGINES)", () -> repository.counts(service.find(id).orElseThrow())
                    .getGap());
            for (String filter : new String[] {"family=eicar", "gap=true", "minDetections=50", "yaraRule=malw_eicar",
                "fileType=Win32 EXE&verdict=malicious", "firstSeenYear=2006&sort=size&dir=desc"}) {
                Map<String, String[]> parameters = new HashMap<>();
                for (String pair : filter.split("&")) {
                    String[] kv = pair.split("=", 2);
                    parameters.put(kv[0], new String[] {kv[1]});
                }
                parameters.put("limit", new String[] {"100"});
                ItemQuery query = ItemQuery.fromParameters(parameters, true);
                time(repeat, "first page of " + filter + " (items and matched)", () -> {
                    BatchService.Report report = service.report(id, query).orElseThrow();
                    return report.getItems().size() + "/" + report.getMatched();
                });
            }
        }
    }

    private static void time(int repeat, String what, Supplier<Object> run) {
        List<Long> millis = new ArrayList<>();
        Object result = null;
        for (int n = 0; n < repeat; n++) {
            long start = System.nanoTime();
            result = run.get();
            millis.add((System.nanoTime() - start) / 1_000_000);
        }
        millis.sort(null);
        System.out.printf("%-60s median %,5d ms (min %,d, max %,d) -> %s%n", what, millis.get(millis.size() / 2),
                millis.get(0), millis.get(millis.size() - 1), result);
    }
}
