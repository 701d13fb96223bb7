package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.RealAnswers;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A STIX export of a 100,000-row batch streams with flat memory: a seeded SQLite database (80,000 files,
 * each uploaded as its sha256, 20,000 of them also as their md5; 500 families), the bundle written to a
 * file while the heap is sampled after a garbage collection at every tenth of the output. Prints the
 * samples; the heap may not grow by more than a few megabytes while 100+ MB of JSON go out.
 */
class LargeStixExportTest {
    private static final int FILES = 80_000;
    private static final int MD5_ROWS = 20_000;
    private static final int FAMILIES = 500;
    /** Heap growth allowed between the first sample and any later one. */
    private static final long FLAT_BYTES = 24L << 20;

    @TempDir
    Path dataDir;

    @Test
    void hundredThousandRowStixExportStreamsInFlatMemory() throws Exception {
        long seedStart = System.nanoTime();
        Database database = Databases.open("jdbc:sqlite:" + dataDir.resolve("vt-batch-search.db"));
        try {
            BatchRepository repository = new BatchRepository(database, new Freshness(Duration.ofDays(3650),
                    Duration.ofDays(3650)));
            BatchService service = new BatchService(repository, new EmbeddedLookupQueue(), null, Clock.systemUTC());
            String[][] hashes = new String[FILES][];
            Map<String, HashType> rows = new LinkedHashMap<>();
            for (int i = 0; i < FILES; i++) {
                hashes[i] = hashesOf(i);
                rows.put(hashes[i][0], HashType.SHA256);
            }
            for (int i = 0; i < MD5_ROWS; i++) {
                rows.put(hashes[i][1], HashType.MD5);
            }
            String id = service.submit(new ExtractedHashes(rows, rows.size())).id();
            seedAnswers(database, hashes);
            double seedSeconds = (System.nanoTime() - seedStart) / 1e9;

            Exports exports = new Exports(service, RealAnswers.JSON.getFactory(), Clock.systemUTC());
            Path bundle = dataDir.resolve("bundle.stix.json");
            List<Long> heap = new ArrayList<>();
            heap.add(usedAfterGc());
            long start = System.nanoTime();
            long[] written = {0};
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(bundle));
                    OutputStream sampling = new FilterOutputStream(file) {
                        private long nextSample = 10L << 20;

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            out.write(b, off, len);
                            written[0] += len;
                            if (written[0] >= nextSample) {
                                heap.add(usedAfterGc());
                                nextSample += 10L << 20;
                            }
                        }

                        @Override
                        public void write(int b) throws IOException {
                            write(new byte[] {(byte) b}, 0, 1);
                        }
                    }) {
                assertTrue(exports.write(id, ExportFormat.STIX, ItemQuery.ALL, ExportFilter.from(Map.of()), false,
                        sampling));
            }
            double exportSeconds = (System.nanoTime() - start) / 1e9;
            heap.add(usedAfterGc());

            int[] counts = count(bundle);
            long base = heap.get(0);
            long growth = heap.stream().mapToLong(h -> h - base).max().orElse(0);
            System.out.printf("STIX export of %,d rows (%,d files): %,d bytes in %.1f s (seeding %.1f s); heap used"
                    + " after GC, MB: %s; most growth %.1f MB%n", rows.size(), FILES, Files.size(bundle),
                    exportSeconds, seedSeconds, heap.stream().map(h -> String.format("%.1f", h / 1048576.0)).toList(),
                    growth / 1048576.0);
            assertEquals(FILES, counts[0], "one indicator per file");
            assertEquals(FILES, counts[1], "one relationship per file");
            assertEquals(FAMILIES, counts[2], "one malware object per family");
            assertTrue(heap.size() >= 10, "sampled " + heap.size() + " times");
            assertTrue(growth < FLAT_BYTES, "heap grew by " + growth + " bytes while streaming");
        } finally {
            database.close();
        }
    }

    /** sha256, md5 and sha1 of file {@code i}. */
    private static String[] hashesOf(int i) throws Exception {
        byte[] seed = ("file-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HexFormat hex = HexFormat.of();
        return new String[] {hex.formatHex(MessageDigest.getInstance("SHA-256").digest(seed)),
            hex.formatHex(MessageDigest.getInstance("MD5").digest(seed)),
            hex.formatHex(MessageDigest.getInstance("SHA-1").digest(seed))};
    }

    /** Every file answered as malicious, its md5 row pointing at it, in one transaction. */
    private static void seedAnswers(Database database, String[][] hashes) {
        database.inTransaction("seed answers", c -> {
            try (PreparedStatement files = c.prepareStatement("""
                    INSERT INTO files (sha256, md5, sha1, malicious, suspicious, undetected, harmless, label, name,
                      file_type, first_seen, last_analysis, raw_json, fetched_at, threat_family, threat_category)
                    VALUES (?, ?, ?, ?, 0, 10, 0, ?, ?, 'Win32 EXE', ?, ?, '', 0, ?, 'trojan')""");
                    PreparedStatement lookups = c.prepareStatement(
                            "UPDATE lookups SET status = 'done', sha256 = ? WHERE hash = ?")) {
                for (int i = 0; i < hashes.length; i++) {
                    String family = "family-" + (i % FAMILIES);
                    files.setString(1, hashes[i][0]);
                    files.setString(2, hashes[i][1]);
                    files.setString(3, hashes[i][2]);
                    files.setInt(4, 1 + i % 60);
                    files.setString(5, "trojan." + family + "/win32");
                    files.setString(6, "sample-" + i + ".exe");
                    files.setLong(7, 1_500_000_000_000L + i * 1000L);
                    files.setLong(8, 1_700_000_000_000L + i * 1000L);
                    files.setString(9, family);
                    files.addBatch();
                    lookups.setString(1, hashes[i][0]);
                    lookups.setString(2, hashes[i][0]);
                    lookups.addBatch();
                    if (i < MD5_ROWS) {
                        lookups.setString(1, hashes[i][0]);
                        lookups.setString(2, hashes[i][1]);
                        lookups.addBatch();
                    }
                    if (i % 5000 == 4999) {
                        files.executeBatch();
                        lookups.executeBatch();
                    }
                }
                files.executeBatch();
                lookups.executeBatch();
            }
            return null;
        });
    }

    /** Indicators, relationships and malware objects in the bundle, read as a stream. */
    private static int[] count(Path bundle) throws IOException {
        int[] counts = new int[3];
        try (InputStream in = Files.newInputStream(bundle);
                JsonParser parser = RealAnswers.JSON.getFactory().createParser(in)) {
            int depth = 0;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                    depth++;
                } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                    depth--;
                } else if (token == JsonToken.FIELD_NAME && depth == 3 && parser.currentName().equals("type")) {
                    switch (parser.nextTextValue()) {
                        case "indicator" -> counts[0]++;
                        case "relationship" -> counts[1]++;
                        case "malware" -> counts[2]++;
                        default -> { }
                    }
                }
            }
        }
        return counts;
    }

    private static long usedAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
