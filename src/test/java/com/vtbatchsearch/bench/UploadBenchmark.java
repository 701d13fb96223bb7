package com.vtbatchsearch.bench;

import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashExtractor;
import com.vtbatchsearch.batch.StagedUploadRepository;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where a big upload's time goes, in process and without HTTP: each round extracts a 100,000-hash text (half
 * of its hashes answered already, half new), counts the lookups it would cost (the throttle's question) and
 * keeps the hashes in one row (all the upload waits for: "answered after"), then writes the batch and its
 * items as the background store does ("stored after", from the start); prints each step's time, then the
 * median of each over the rounds. The end-to-end figures, through HTTP, are {@code bench/report}'s.
 *
 * <p>System properties: {@code engine} ({@code sqlite} or {@code postgresql}), {@code size} (100000),
 * {@code rounds} (7).
 */
public final class UploadBenchmark {
    public static void main(String[] args) throws Exception {
        boolean postgres = "postgresql".equals(System.getProperty("engine", "sqlite"));
        int size = Integer.getInteger("size", 100_000);
        int rounds = Integer.getInteger("rounds", 7);
        Path dataDir = Files.createTempDirectory("vt-bench-upload-");
        PostgresDatabase pg = postgres ? PostgresDatabase.create() : null;
        String url = postgres ? pg.jdbcUrl() : "jdbc:sqlite:" + dataDir.resolve("vt-batch-search.db");
        try (Database database = Database.open(url, postgres ? PostgresDatabase.USER : null, null)) {
            LookupRepository lookups = new LookupRepository(database);
            BatchRepository batches = new BatchRepository(database, new Freshness(Duration.ofDays(30), Duration.ofDays(1)));
            StagedUploadRepository staged = new StagedUploadRepository(batches);
            long[][] times = new long[rounds][];
            for (int round = 0; round < rounds; round++) {
                // The answered half: answers stored before the upload, as the workers would have.
                for (int n = 0; n < size / 2; n++) {
                    String md5 = md5(round, n);
                    String sha256 = "%064x".formatted(((long) round << 32) + n);
                    lookups.saveFound(md5, new FileReport(sha256, md5, "%040x".formatted(((long) round << 32) + n),
                            n % 3, 0, 70, 0, n % 3 > 0 ? "trojan.family" + n % 97 + "/bench" : null, "file-" + n + ".exe",
                            "Win32 EXE", Instant.parse("2020-01-01T00:00:00Z").plusSeconds(60L * n), Instant.now(), 0,
                            List.of("peexe"), "{\"data\":{\"id\":\"" + sha256 + "\"}}"), Instant.now());
                }
                StringBuilder text = new StringBuilder(size * 40);
                for (int n = 0; n < size; n++) {
                    text.append(md5(round, n)).append(" sample ").append(n).append('\n');
                }
                long start = System.nanoTime();
                ExtractedHashes hashes = new HashExtractor(size).read(new StringReader(text.toString())).result();
                long extracted = System.nanoTime();
                int cost = batches.countNeedingLookup(hashes.hashes());
                long counted = System.nanoTime();
                // What the upload waits for: its hashes kept in one row. Then what the background store does.
                String id = UUID.randomUUID().toString();
                staged.stage(id, Instant.now(), hashes);
                long kept = System.nanoTime();
                List<String> open = staged.store(id, hashes).orElseThrow();
                long stored = System.nanoTime();
                times[round] = new long[] {ms(extracted - start), ms(counted - extracted), ms(kept - counted),
                        ms(kept - start), ms(stored - kept), ms(stored - start)};
                System.out.printf("round %d: extract %d ms, count %d ms (%,d new), keep %d ms; answered after %d ms;"
                        + " store %d ms (%,d open); stored after %d ms%n", round, times[round][0], times[round][1],
                        cost, times[round][2], times[round][3], times[round][4], open.size(), times[round][5]);
                if (cost != size / 2 || open.size() != size / 2) {
                    throw new IllegalStateException("expected " + size / 2 + " new and open hashes");
                }
            }
            String[] names = {"extract", "count", "keep", "answered after", "store", "stored after"};
            StringBuilder median = new StringBuilder("median over " + rounds + " rounds (" + (postgres ? "PostgreSQL" : "SQLite")
                    + ", " + String.format("%,d", size) + " hashes, half answered):");
            for (int step = 0; step < names.length; step++) {
                int s = step;
                long[] column = Arrays.stream(times).mapToLong(t -> t[s]).sorted().toArray();
                median.append(' ').append(names[step]).append(' ').append(column[column.length / 2]).append(" ms");
                median.append(step < names.length - 1 ? "," : "");
            }
            System.out.println(median);
        } finally {
            if (pg != null) {
                pg.close();
            }
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static String md5(int round, int n) {
        return "%08x%024x".formatted(round, n);
    }

    private UploadBenchmark() {
    }
}
