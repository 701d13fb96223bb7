package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.CallLogRepository;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.lookup.LookupRepository.LookupState;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.SqliteJournalMode;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every repository against each engine: the SQLite file in WAL mode, the SQLite file as on a network
 * share (rollback journal, exclusive lock, one connection), and a PostgreSQL database.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(BatchRepositoryTest.Engine.class)
class BatchRepositoryTest {
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final Freshness FRESHNESS = new Freshness(Duration.ofDays(7), Duration.ofHours(24));

    enum Engine { SQLITE, SQLITE_EXCLUSIVE, POSTGRESQL }

    private static PostgresDatabase postgres;

    @Parameter
    Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private CallLogRepository callLog;

    @AfterAll
    static void dropPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void open() {
        database = switch (engine) {
            case SQLITE -> Database.openSqlite(dataDir);
            case SQLITE_EXCLUSIVE -> Database.openSqlite(dataDir, SqliteJournalMode.DELETE);
            case POSTGRESQL -> {
                if (postgres == null) {
                    postgres = PostgresDatabase.create();
                }
                yield Database.open(postgres.freshSchemaUrl(), PostgresDatabase.USER, null);
            }
        };
        assertEquals(engine == Engine.POSTGRESQL, database.isPostgres());
        batches = new BatchRepository(database, FRESHNESS);
        lookups = new LookupRepository(database);
        callLog = new CallLogRepository(database);
    }

    @AfterEach
    void close() {
        database.close();
    }

    /** A distinct hash of the given type, derived from {@code seed}. */
    static String hash(HashType type, String seed) {
        String algorithm = switch (type) {
            case MD5 -> "MD5";
            case SHA1 -> "SHA-1";
            case SHA256 -> "SHA-256";
        };
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(seed.getBytes()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ExtractedHashes extracted(String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.putIfAbsent(h, HashType.of(h).orElseThrow());
        }
        return new ExtractedHashes(distinct, hashes.length);
    }

    static FileReport report(String sha256, String md5, String sha1, int malicious) {
        return new FileReport(sha256, md5, sha1, malicious, 1, 60, 2, "trojan.test/x", "sample.exe", "Win32 EXE",
                Instant.ofEpochSecond(1_500_000_000L), Instant.ofEpochSecond(1_700_000_000L), -5,
                List.of("peexe", "signed"), "{\"data\":{}}");
    }

    /** One hash waiting for a lookup on behalf of one batch. */
    record PendingEntry(String batchId, String hash) {
    }

    /** Every open lookup of every batch, batches oldest first, each in upload order, read page by page. */
    private List<PendingEntry> pendingEntries() {
        List<PendingEntry> entries = new ArrayList<>();
        LookupRepository.BatchWithWork after = null;
        List<LookupRepository.BatchWithWork> page;
        while (!(page = lookups.batchesWithOpenLookups(after, 2)).isEmpty()) {
            for (LookupRepository.BatchWithWork batch : page) {
                int position = -1;
                List<LookupRepository.OpenLookup> open;
                while (!(open = lookups.openLookups(batch.id(), position, 3)).isEmpty()) {
                    open.forEach(o -> entries.add(new PendingEntry(batch.id(), o.hash())));
                    position = open.get(open.size() - 1).position();
                }
            }
            after = page.get(page.size() - 1);
        }
        return entries;
    }

    private String newBatch(List<String> queued, String... hashes) {
        String id = UUID.randomUUID().toString();
        queued.addAll(batches.create(id, T0, extracted(hashes)));
        return id;
    }

    private String status(String hash) {
        return lookups.find(hash).map(LookupState::status).orElse(null);
    }

    // --- BatchRepository

    @Test
    void aNewBatchMakesEveryHashPending() {
        String a = hash(HashType.MD5, "a");
        String b = hash(HashType.SHA1, "b");
        String c = hash(HashType.SHA256, "c");

        List<String> queued = batches.create(UUID.randomUUID().toString(), T0, extracted(a, b, c, a));

        assertEquals(List.of(a, b, c), queued);
        assertEquals("pending", status(a));
        assertEquals(java.util.Set.of(a, b, c), java.util.Set.copyOf(lookups.pendingHashes()));
    }

    @Test
    void aSecondBatchQueuesItsOpenHashesIncludingThoseAlreadyPendingForAnotherBatch() {
        String a = hash(HashType.MD5, "a");
        String b = hash(HashType.MD5, "b");
        String c = hash(HashType.MD5, "c");
        String d = hash(HashType.MD5, "d");
        batches.create(UUID.randomUUID().toString(), T0, extracted(a, b, d));
        lookups.saveNotFound(d, T0);

        List<String> queued = batches.create(UUID.randomUUID().toString(), T0.plusSeconds(1), extracted(b, c, d, a));

        assertEquals(List.of(b, c, a), queued, "every open hash of the batch, in upload order; not the answered one");
        assertEquals(3, lookups.pendingHashes().size(), "a hash pending for two batches is one open lookup");
    }

    @Test
    void hashesAlreadyAnsweredAreNotQueuedAgain() {
        String found = hash(HashType.SHA256, "found");
        String missing = hash(HashType.MD5, "missing");
        batches.create(UUID.randomUUID().toString(), T0, extracted(found, missing));
        lookups.saveFound(found, report(found, null, null, 0), T0);
        lookups.saveNotFound(missing, T0);

        List<String> queued = batches.create(UUID.randomUUID().toString(), T0, extracted(found, missing));

        assertEquals(List.of(), queued);
        assertEquals("done", status(found));
        assertEquals("not_found", status(missing));
    }

    @Test
    void aHashThatEndedInErrorIsPendingAgainInANewBatch() {
        String a = hash(HashType.SHA1, "a");
        batches.create(UUID.randomUUID().toString(), T0, extracted(a));
        lookups.recordFailure(a, "HTTP 500", true, T0);
        assertEquals("error", status(a));

        List<String> queued = batches.create(UUID.randomUUID().toString(), T0.plusSeconds(5), extracted(a));

        assertEquals(List.of(a), queued);
        assertEquals(Optional.of(new LookupState(a, "pending", 0)), lookups.find(a));
        assertEquals(List.of(a), lookups.pendingHashes());
    }

    @Test
    void findReturnsTheStoredBatch() {
        String a = hash(HashType.MD5, "a");
        String b = hash(HashType.MD5, "b");
        String id = UUID.randomUUID().toString();
        batches.create(id, T0, extracted(a, b, a, a));

        Batch batch = batches.find(id).orElseThrow();

        assertEquals(id, batch.getId());
        assertEquals(T0, batch.getCreatedAt());
        assertEquals(4, batch.getFound());
        assertEquals(2, batch.getUnique());
        assertEquals(Optional.empty(), batches.find(UUID.randomUUID().toString()));
        assertEquals(1, batches.countBatches());
    }

    @Test
    void itemsComeInOrderOfFirstAppearanceWithTheirState() {
        String sha256 = hash(HashType.SHA256, "x");
        String md5 = hash(HashType.MD5, "y");
        String sha1 = hash(HashType.SHA1, "z");
        String id = newBatch(new ArrayList<>(), sha256, md5, sha1);
        lookups.saveFound(sha256, report(sha256, null, null, 9), T0);
        lookups.saveNotFound(md5, T0);

        List<BatchItem> items = batches.items(id);

        assertEquals(List.of(sha256, md5, sha1), items.stream().map(BatchItem::getHash).toList());
        assertEquals(List.of("sha256", "md5", "sha1"), items.stream().map(BatchItem::getType).toList());
        assertEquals(List.of("done", "not_found", "pending"), items.stream().map(BatchItem::getStatus).toList());
        BatchItem done = items.get(0);
        assertEquals(9, done.getMalicious());
        assertEquals(1, done.getSuspicious());
        assertEquals(60, done.getUndetected());
        assertEquals(2, done.getHarmless());
        assertEquals(72, done.getTotal());
        assertEquals("trojan.test/x", done.getLabel());
        assertEquals("sample.exe", done.getName());
        assertEquals("Win32 EXE", done.getFileType());
        assertEquals(sha256, done.getSha256());
        assertEquals(Instant.ofEpochSecond(1_500_000_000L).toString(), done.getFirstSeen());
        assertEquals(Instant.ofEpochSecond(1_700_000_000L).toString(), done.getLastAnalysis());
        assertNull(items.get(1).getMalicious());
        assertNull(items.get(2).getMalicious());
    }

    @Test
    void countsTallyTheLookupStatesOfABatch() {
        String malicious = hash(HashType.SHA256, "malicious");
        String suspicious = hash(HashType.SHA256, "suspicious");
        String missing = hash(HashType.MD5, "missing");
        String failed = hash(HashType.MD5, "failed");
        String pending = hash(HashType.SHA1, "pending");
        String id = newBatch(new ArrayList<>(), malicious, suspicious, missing, failed, pending, pending);
        lookups.saveFound(malicious, report(malicious, null, null, 3), T0);
        lookups.saveFound(suspicious, report(suspicious, null, null, 0), T0);
        lookups.saveNotFound(missing, T0);
        lookups.recordFailure(failed, "HTTP 503", true, T0);

        BatchCounts counts = batches.counts(batches.find(id).orElseThrow());

        assertEquals(6, counts.getFound());
        assertEquals(5, counts.getUnique());
        assertEquals(4, counts.getDone());
        assertEquals(1, counts.getPending());
        assertEquals(1, counts.getNotFound());
        assertEquals(1, counts.getErrors());
        assertEquals(1, counts.getMalicious());
        assertEquals(1, counts.getSuspicious());
        assertEquals(0, counts.getClean());
        assertEquals(80, counts.getPercentDone());
    }

    /** One hash per verdict, in this order: malicious, clean, suspicious, not found, error, pending. */
    private List<String> oneHashPerVerdict(String[] id) {
        String malicious = hash(HashType.SHA256, "malicious");
        String clean = hash(HashType.MD5, "clean");
        String suspicious = hash(HashType.SHA256, "suspicious");
        String missing = hash(HashType.SHA1, "missing");
        String failed = hash(HashType.MD5, "failed");
        String pending = hash(HashType.SHA1, "pending");
        id[0] = newBatch(new ArrayList<>(), malicious, clean, suspicious, missing, failed, pending);
        lookups.saveFound(malicious, report(malicious, null, null, 3), T0);
        FileReport cleanReport = report(hash(HashType.SHA256, "clean file"), clean, null, 0);
        lookups.saveFound(clean, new FileReport(cleanReport.sha256(), clean, null, 0, 0, 70, 0, null, "Zeta.exe",
                "Text", null, null, null, List.of(), "{}"), T0);
        lookups.saveFound(suspicious, report(suspicious, null, null, 0), T0);
        lookups.saveNotFound(missing, T0);
        lookups.recordFailure(failed, "HTTP 503", true, T0);
        return List.of(malicious, clean, suspicious, missing, failed, pending);
    }

    private List<String> hashesOf(List<BatchItem> items) {
        return items.stream().map(BatchItem::getHash).toList();
    }

    @Test
    void itemsFilterByEachVerdictInSql() {
        String[] id = new String[1];
        List<String> h = oneHashPerVerdict(id);
        assertEquals(1, batches.counts(batches.find(id[0]).orElseThrow()).getClean());
        ItemQuery.Verdict[] verdicts = ItemQuery.Verdict.values();
        for (int n = 0; n < verdicts.length; n++) {
            ItemQuery query = new ItemQuery(verdicts[n], null, ItemQuery.Sort.POSITION, false, 0, 0);
            List<BatchItem> items = batches.items(id[0], query);
            String expected = h.get(List.of(0, 2, 1, 3, 4, 5).get(n));
            assertEquals(List.of(expected), hashesOf(items), verdicts[n].key());
            assertEquals(verdicts[n], items.get(0).category());
            assertEquals(1, batches.countItems(id[0], query));
        }
    }

    @Test
    void itemsSortAndPageInSqlWithEmptyValuesLast() {
        String[] id = new String[1];
        List<String> h = oneHashPerVerdict(id);
        ItemQuery byVerdict = new ItemQuery(null, null, ItemQuery.Sort.VERDICT, false, 0, 0);
        assertEquals(List.of(h.get(0), h.get(2), h.get(1), h.get(3), h.get(4), h.get(5)),
                hashesOf(batches.items(id[0], byVerdict)));
        ItemQuery byNameDescending = new ItemQuery(null, null, ItemQuery.Sort.NAME, true, 0, 0);
        List<String> byName = hashesOf(batches.items(id[0], byNameDescending));
        assertEquals(h.get(1), byName.get(0), "Zeta.exe before sample.exe, descending");
        assertEquals(List.of(h.get(3), h.get(4), h.get(5)), byName.subList(3, 6), "no name: last, upload order");

        ItemQuery page = new ItemQuery(null, null, ItemQuery.Sort.POSITION, true, 2, 3);
        assertEquals(List.of(h.get(3), h.get(2), h.get(1)), hashesOf(batches.items(id[0], page)));
        assertEquals(6, batches.countItems(id[0], page), "the count ignores the page");
    }

    @Test
    void itemsFilterByTextInHashLabelAndNameIgnoringCaseAndWildcards() {
        String[] id = new String[1];
        List<String> h = oneHashPerVerdict(id);
        assertEquals(List.of(h.get(1)), hashesOf(batches.items(id[0],
                new ItemQuery(null, "zeta", ItemQuery.Sort.POSITION, false, 0, 0))));
        assertEquals(List.of(h.get(0), h.get(2)), hashesOf(batches.items(id[0],
                new ItemQuery(null, "TROJAN.TEST", ItemQuery.Sort.POSITION, false, 0, 0))));
        assertEquals(List.of(h.get(4)), hashesOf(batches.items(id[0],
                new ItemQuery(null, h.get(4).substring(3, 12).toUpperCase(), ItemQuery.Sort.POSITION, false, 0, 0))));
        for (String literal : new String[] {"%", "_", "\\"}) {
            assertEquals(List.of(), batches.items(id[0], new ItemQuery(null, literal, ItemQuery.Sort.POSITION, false, 0, 0)),
                    literal + " is matched literally");
        }
    }

    @Test
    void eachItemKeepsTheLineItCameFromAndTheTextFilterSearchesIt() {
        String md5 = hash(HashType.MD5, "context md5");
        String sha1 = hash(HashType.SHA1, "context sha1");
        String sha256 = hash(HashType.SHA256, "context sha256");
        Map<String, HashType> distinct = new LinkedHashMap<>();
        distinct.put(md5, HashType.MD5);
        distinct.put(sha1, HashType.SHA1);
        distinct.put(sha256, HashType.SHA256);
        String line = "\u00ab" + md5 + "\u00bb;Emotet 100% <script>_dropper";
        String id = UUID.randomUUID().toString();
        batches.create(id, T0, new ExtractedHashes(distinct, 3,
                Map.of(md5, line, sha1, "hash1 = \"\u00ab" + sha1 + "\u00bb\" // QakBot")));

        List<BatchItem> items = batches.items(id);
        assertEquals(line, items.get(0).getContext());
        assertEquals("hash1 = \"\u00ab" + sha1 + "\u00bb\" // QakBot", items.get(1).getContext());
        assertNull(items.get(2).getContext(), "a hash without a known line has none");
        assertEquals(List.of(md5), hashesOf(batches.items(id,
                new ItemQuery(null, "emotet 100%", ItemQuery.Sort.POSITION, false, 0, 0))));
        assertEquals(List.of(sha1), hashesOf(batches.items(id,
                new ItemQuery(null, "qakbot", ItemQuery.Sort.POSITION, false, 0, 0))));
        assertEquals(List.of(), hashesOf(batches.items(id,
                new ItemQuery(null, "100_", ItemQuery.Sort.POSITION, false, 0, 0))), "wildcards stay literal");
        assertEquals(1, batches.countItems(id, new ItemQuery(null, "<SCRIPT>", ItemQuery.Sort.POSITION, false, 0, 0)));
    }

    @Test
    void exportsReadInChunksKeepEveryRowInOrder() {
        int n = BatchRepository.EXPORT_CHUNK * 2 + 7;
        String[] hashes = new String[n];
        for (int i = 0; i < n; i++) {
            hashes[i] = hash(HashType.MD5, "chunk " + i);
        }
        String id = newBatch(new ArrayList<>(), hashes);
        assertEquals(List.of(hashes), hashesOf(batches.items(id)));
        List<String> reversed = new ArrayList<>(List.of(hashes));
        java.util.Collections.reverse(reversed);
        assertEquals(reversed, hashesOf(batches.items(id,
                new ItemQuery(ItemQuery.Verdict.PENDING, null, ItemQuery.Sort.POSITION, true, 0, 0))));
        lookups.saveNotFound(hashes[n - 1], T0);
        assertEquals(List.of(hashes[n - 1]), hashesOf(batches.items(id,
                new ItemQuery(ItemQuery.Verdict.NOT_FOUND, null, ItemQuery.Sort.POSITION, false, 0, 0))));
    }

    @Test
    void exportsOfEverySortReadInChunksWithEveryRowOnceInTheSortsOrderTiesIncluded() {
        // Few distinct sort values and chunks of 5 rows: most chunk boundaries fall inside a run of ties.
        BatchRepository chunked = new BatchRepository(database, FRESHNESS, 5);
        String[] hashes = new String[63];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = hash(i % 3 == 0 ? HashType.MD5 : HashType.SHA256, "tie " + i);
        }
        String id = newBatch(new ArrayList<>(), hashes);
        String[] names = {"a.exe", "B.EXE", "b.exe", null};
        for (int i = 0; i < hashes.length; i++) {
            switch (i % 5) {
                case 0, 1, 2 -> lookups.saveFound(hashes[i], new FileReport(hash(HashType.SHA256, "file " + i),
                        null, null, i % 4, i % 2, 60, 2, i % 7 == 0 ? null : "trojan." + (i % 3), names[i % 4],
                        i % 2 == 0 ? "Win32 EXE" : null, i % 6 == 0 ? null : Instant.ofEpochSecond(1_500_000_000L + i % 3),
                        T0, 0, List.of(), "{}"), T0);
                case 3 -> lookups.saveNotFound(hashes[i], T0);
                default -> { } // pending
            }
        }
        for (ItemQuery.Sort sort : ItemQuery.Sort.values()) {
            for (boolean descending : new boolean[] {false, true}) {
                for (ItemQuery.Verdict verdict : new ItemQuery.Verdict[] {null, ItemQuery.Verdict.MALICIOUS}) {
                    String what = sort + (descending ? " desc" : " asc") + (verdict == null ? "" : " " + verdict);
                    // One query over the whole batch, sorted by the database: the order the chunks must keep.
                    List<String> expected = hashesOf(batches.items(id,
                            new ItemQuery(verdict, null, sort, descending, 0, hashes.length + 1)));
                    List<String> exported = new ArrayList<>();
                    chunked.forEachItem(id, new ItemQuery(verdict, null, sort, descending, 0, 0),
                            item -> exported.add(item.getHash()));
                    assertEquals(expected, exported, what);
                    assertEquals(exported.size(), new java.util.HashSet<>(exported).size(), what + ": each row once");
                    assertEquals(batches.countItems(id, new ItemQuery(verdict, null, sort, descending, 0, 0)),
                            exported.size(), what + ": every row");
                }
            }
        }
    }

    @Test
    void exportsThatStopBeingReadHoldNoConnection() throws Exception {
        String[] hashes = new String[30];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = hash(HashType.SHA1, "slow " + i);
        }
        String id = newBatch(new ArrayList<>(), hashes);
        int readers = 10; // more than either pool holds (6 for SQLite, 8 for PostgreSQL)
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(readers);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(readers + 1);
        try {
            for (int r = 0; r < readers; r++) {
                ItemQuery sorted = new ItemQuery(null, null, ItemQuery.Sort.values()[1 + r % 8], r % 2 == 0, 0, 0);
                pool.submit(() -> {
                    // A client that takes the first row and then stops reading.
                    batches.forEachItem(id, sorted, item -> {
                        reading.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    return null;
                });
            }
            assertTrue(reading.await(10, TimeUnit.SECONDS), "every reader got its first row");

            long start = System.nanoTime();
            Future<List<String>> upload = pool.submit(() -> batches.create(UUID.randomUUID().toString(), T0,
                    extracted(hash(HashType.MD5, "upload while exports hang"))));
            assertEquals(1, upload.get(5, TimeUnit.SECONDS).size(), "an upload is stored");
            lookups.saveNotFound(hashes[0], T0);
            assertEquals("not_found", status(hashes[0]), "a worker's answer is stored");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            if (engine == Engine.SQLITE) {
                try (java.sql.Connection c = database.connection();
                        java.sql.Statement s = c.createStatement();
                        java.sql.ResultSet r = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
                    assertTrue(r.next());
                    assertEquals(0, r.getInt(1), "checkpoint not blocked");
                    assertEquals(r.getInt(2), r.getInt(3), "no reader keeps the WAL from being checkpointed");
                }
            }
        } finally {
            release.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void detailsAnswerOnlyForAHashOfThatBatch() {
        String[] id = new String[1];
        List<String> h = oneHashPerVerdict(id);
        BatchRepository.ItemDetails details = batches.details(id[0], h.get(0)).orElseThrow();
        assertEquals("done", details.status());
        assertEquals("{\"data\":{}}", details.rawJson());
        assertNull(batches.details(id[0], h.get(3)).orElseThrow().rawJson());
        assertTrue(batches.details(id[0], hash(HashType.MD5, "elsewhere")).isEmpty());
        assertTrue(batches.details(UUID.randomUUID().toString(), h.get(0)).isEmpty());
    }

    // --- LookupRepository

    @Test
    void savingAnAnswerMarksTheFilesOtherHashesDone() {
        String md5 = hash(HashType.MD5, "file");
        String sha1 = hash(HashType.SHA1, "file");
        String sha256 = hash(HashType.SHA256, "file");
        newBatch(new ArrayList<>(), md5, sha1);

        lookups.saveFound(md5, report(sha256, md5, sha1, 5), T0);

        assertEquals("done", status(md5));
        assertEquals("done", status(sha1));
        assertEquals("done", status(sha256));
        assertEquals(List.of(), lookups.pendingHashes());
    }

    @Test
    void aNewBatchWithAnAliasOfAnAnsweredFileQueuesNothingAndShowsTheAnswer() {
        String md5 = hash(HashType.MD5, "file");
        String sha1 = hash(HashType.SHA1, "file");
        String sha256 = hash(HashType.SHA256, "file");
        newBatch(new ArrayList<>(), md5);
        lookups.saveFound(md5, report(sha256, md5, sha1, 5), T0);

        List<String> queued = new ArrayList<>();
        String id = newBatch(queued, sha256, sha1);

        assertEquals(List.of(), queued);
        List<BatchItem> items = batches.items(id);
        assertEquals(List.of("done", "done"), items.stream().map(BatchItem::getStatus).toList());
        assertEquals(5, items.get(1).getMalicious());
        assertEquals(sha256, items.get(1).getSha256());
    }

    @Test
    void theQueriedHashIsDoneEvenWhenTheAnswerDoesNotNameIt() {
        String queried = hash(HashType.MD5, "odd");
        String sha256 = hash(HashType.SHA256, "odd");
        newBatch(new ArrayList<>(), queried);

        lookups.saveFound(queried, report(sha256, null, null, 0), T0);

        assertEquals("done", status(queried));
    }

    @Test
    void savingTheSameFileTwiceUpdatesIt() {
        String sha256 = hash(HashType.SHA256, "again");
        String id = newBatch(new ArrayList<>(), sha256);
        lookups.saveFound(sha256, report(sha256, null, null, 1), T0);

        lookups.saveFound(sha256, report(sha256, null, null, 4), T0.plusSeconds(60));

        assertEquals(4, batches.items(id).get(0).getMalicious());
    }

    @Test
    void saveNotFoundEndsTheLookup() {
        String a = hash(HashType.SHA1, "a");
        newBatch(new ArrayList<>(), a);
        lookups.recordFailure(a, "timeout", false, T0);

        lookups.saveNotFound(a, T0.plusSeconds(1));

        assertEquals("not_found", status(a));
        assertEquals(List.of(), lookups.pendingHashes());
    }

    @Test
    void recordFailureCountsAttemptsAndKeepsTheHashPending() {
        String a = hash(HashType.MD5, "a");
        String id = newBatch(new ArrayList<>(), a);

        assertEquals(1, lookups.recordFailure(a, "HTTP 500", false, T0));
        assertEquals(2, lookups.recordFailure(a, "HTTP 502", false, T0.plusSeconds(1)));

        assertEquals(Optional.of(new LookupState(a, "pending", 2)), lookups.find(a));
        assertEquals(List.of(a), lookups.pendingHashes());
        assertEquals("HTTP 502", batches.items(id).get(0).getError());
    }

    @Test
    void recordFailureWithGiveUpEndsTheLookupAsAnErrorWithTheReason() {
        String a = hash(HashType.MD5, "a");
        String id = newBatch(new ArrayList<>(), a);
        lookups.recordFailure(a, "HTTP 500", false, T0);

        int attempts = lookups.recordFailure(a, "VirusTotal answered HTTP 500: boom", true, T0);

        assertEquals(2, attempts);
        assertEquals("error", status(a));
        assertEquals(List.of(), lookups.pendingHashes());
        BatchItem item = batches.items(id).get(0);
        assertEquals("error", item.getStatus());
        assertEquals("VirusTotal answered HTTP 500: boom", item.getError());
    }

    @Test
    void findOfAnUnknownHashIsEmpty() {
        assertEquals(Optional.empty(), lookups.find(hash(HashType.MD5, "never")));
    }

    @Test
    void pendingHashesAreListedOldestFirst() {
        String late = hash(HashType.MD5, "late");
        String early = hash(HashType.MD5, "early");
        String done = hash(HashType.MD5, "done");
        batches.create(UUID.randomUUID().toString(), T0.plusSeconds(10), extracted(late));
        batches.create(UUID.randomUUID().toString(), T0, extracted(early, done));
        lookups.saveNotFound(done, T0);

        assertEquals(List.of(early, late), lookups.pendingHashes());
    }

    // --- freshness (items() judges staleness by the wall clock, so these tests use times around now)

    private String batchAt(Instant at, String... hashes) {
        String id = UUID.randomUUID().toString();
        batches.create(id, at, extracted(hashes));
        return id;
    }

    @Test
    void aDoneAnswerOlderThanItsTtlIsMarkedForRefreshAndQueuedForANewBatch() {
        Instant now = Instant.now();
        Instant old = now.minus(Duration.ofDays(8));
        String stale = hash(HashType.SHA256, "stale");
        String pending = hash(HashType.MD5, "pending");
        String first = batchAt(old, stale);
        lookups.saveFound(stale, report(stale, null, null, 4), old);

        String id = UUID.randomUUID().toString();
        List<String> queued = batches.create(id, now, extracted(pending, stale));

        assertEquals(List.of(pending, stale), queued, "the stale answer is queued for a lookup, in upload order");
        LookupState state = lookups.find(stale).orElseThrow();
        assertEquals(new LookupState(stale, "done", 0, true), state);
        assertTrue(state.needsLookup());
        BatchItem item = batches.items(id).get(1);
        assertEquals("done", item.getStatus(), "the old answer still shows");
        assertEquals(4, item.getMalicious());
        assertTrue(item.isStale());
        assertTrue(item.isRefreshing());
        assertTrue(batches.items(first).get(0).isRefreshing(), "the older batch sees the refresh too");
        assertEquals(List.of(new PendingEntry(first, stale), new PendingEntry(id, pending),
                new PendingEntry(id, stale)), pendingEntries());
        assertEquals(1, batches.counts(batches.find(id).orElseThrow()).getPending(),
                "a refreshing answer counts as answered, not pending");
    }

    @Test
    void aDoneAnswerWithinItsTtlIsNeitherStaleNorQueued() {
        Instant now = Instant.now();
        Instant recent = now.minus(Duration.ofDays(6));
        String fresh = hash(HashType.SHA256, "fresh");
        batchAt(recent, fresh);
        lookups.saveFound(fresh, report(fresh, null, null, 4), recent);

        String id = UUID.randomUUID().toString();
        List<String> queued = batches.create(id, now, extracted(fresh));

        assertEquals(List.of(), queued);
        assertEquals(new LookupState(fresh, "done", 0, false), lookups.find(fresh).orElseThrow());
        BatchItem item = batches.items(id).get(0);
        assertFalse(item.isStale());
        assertFalse(item.isRefreshing());
    }

    @Test
    void aNotFoundAnswerHasItsOwnShorterTtl() {
        Instant now = Instant.now();
        String staleMissing = hash(HashType.MD5, "missing-25h");
        String freshMissing = hash(HashType.MD5, "missing-23h");
        String twoDaysFound = hash(HashType.SHA256, "found-2d");
        batchAt(now.minus(Duration.ofDays(3)), staleMissing, freshMissing, twoDaysFound);
        lookups.saveNotFound(staleMissing, now.minus(Duration.ofHours(25)));
        lookups.saveNotFound(freshMissing, now.minus(Duration.ofHours(23)));
        lookups.saveFound(twoDaysFound, report(twoDaysFound, null, null, 0), now.minus(Duration.ofDays(2)));

        String id = UUID.randomUUID().toString();
        List<String> queued = batches.create(id, now, extracted(staleMissing, freshMissing, twoDaysFound));

        assertEquals(List.of(staleMissing), queued);
        assertEquals(List.of(true, false, false), batches.items(id).stream().map(BatchItem::isStale).toList());
        assertEquals(List.of(true, false, false), batches.items(id).stream().map(BatchItem::isRefreshing).toList());
        assertEquals("not_found", status(staleMissing));
    }

    @Test
    void requestRefreshMarksTheBatchsStaleAnswersAndReturnsOnlyThoseItMarked() {
        Instant now = Instant.now();
        Instant old = now.minus(Duration.ofDays(8));
        String stale = hash(HashType.SHA256, "r-stale");
        String fresh = hash(HashType.SHA256, "r-fresh");
        String pending = hash(HashType.MD5, "r-pending");
        String staleMissing = hash(HashType.SHA1, "r-missing");
        String id = batchAt(old, stale, fresh, pending, staleMissing);
        lookups.saveFound(stale, report(stale, null, null, 1), old);
        lookups.saveFound(fresh, report(fresh, null, null, 1), now.minus(Duration.ofDays(1)));
        lookups.saveNotFound(staleMissing, now.minus(Duration.ofDays(2)));
        assertEquals(List.of(true, false, false, true), batches.items(id).stream().map(BatchItem::isStale).toList());
        assertEquals(List.of(false, false, false, false),
                batches.items(id).stream().map(BatchItem::isRefreshing).toList(), "nothing refreshes by itself");

        assertEquals(2, batches.countStale(id, now), "what a refresh would queue, to charge it first");
        assertEquals(0, batches.counts(batches.find(id).orElseThrow()).getRefreshing());

        List<String> marked = batches.requestRefresh(id, now);

        assertEquals(List.of(stale, staleMissing), marked, "the pending hash is queued already");
        assertEquals(0, batches.countStale(id, now), "being refreshed: nothing more to charge");
        assertEquals(2, batches.counts(batches.find(id).orElseThrow()).getRefreshing());
        assertEquals(List.of(), batches.requestRefresh(id, now), "a second request marks nothing new");
        assertTrue(lookups.find(stale).orElseThrow().refresh());
        assertFalse(lookups.find(fresh).orElseThrow().refresh());
        assertTrue(lookups.find(staleMissing).orElseThrow().refresh());
        assertEquals(List.of(true, false, false, true),
                batches.items(id).stream().map(BatchItem::isRefreshing).toList());
    }

    @Test
    void requestRefreshOfAnUnknownBatchReturnsNothing() {
        assertEquals(List.of(), batches.requestRefresh(UUID.randomUUID().toString(), Instant.now()));
    }

    @Test
    void aRefreshedAnswerReplacesTheStaleOneForTheWholeFile() {
        Instant now = Instant.now();
        Instant old = now.minus(Duration.ofDays(8));
        String md5 = hash(HashType.MD5, "refreshed");
        String sha256 = hash(HashType.SHA256, "refreshed");
        batchAt(old, md5);
        lookups.saveFound(md5, report(sha256, md5, null, 1), old);
        String id = batchAt(now, md5, sha256);
        assertTrue(lookups.find(sha256).orElseThrow().refresh());

        lookups.saveFound(md5, report(sha256, md5, null, 7), now);

        assertEquals(new LookupState(md5, "done", 0, false), lookups.find(md5).orElseThrow());
        assertEquals(new LookupState(sha256, "done", 0, false), lookups.find(sha256).orElseThrow());
        List<BatchItem> items = batches.items(id);
        assertEquals(List.of(7, 7), items.stream().map(BatchItem::getMalicious).toList());
        assertEquals(List.of(false, false), items.stream().map(BatchItem::isStale).toList());
        assertEquals(List.of(), pendingEntries());
    }

    @Test
    void aRefreshThatGivesUpKeepsTheOldAnswer() {
        Instant now = Instant.now();
        Instant old = now.minus(Duration.ofDays(8));
        String h = hash(HashType.SHA256, "refresh-fails");
        batchAt(old, h);
        lookups.saveFound(h, report(h, null, null, 3), old);
        String id = batchAt(now, h);

        assertEquals(1, lookups.recordFailure(h, "HTTP 500", false, now));
        assertEquals(new LookupState(h, "done", 1, true), lookups.find(h).orElseThrow(), "still refreshing");
        assertEquals(2, lookups.recordFailure(h, "HTTP 503", true, now));

        assertEquals(new LookupState(h, "done", 2, false), lookups.find(h).orElseThrow());
        BatchItem item = batches.items(id).get(0);
        assertEquals("done", item.getStatus());
        assertEquals(3, item.getMalicious(), "the old answer is kept");
        assertNull(item.getError());
        assertTrue(item.isStale());
        assertFalse(item.isRefreshing());
        assertEquals(List.of(), pendingEntries());
    }

    @Test
    void answersAndFailuresOnlyTouchOpenLookups() {
        Instant now = Instant.now();
        String done = hash(HashType.SHA256, "closed-done");
        String missing = hash(HashType.MD5, "closed-missing");
        batchAt(now, done, missing);
        lookups.saveFound(done, report(done, null, null, 2), now);
        lookups.saveNotFound(missing, now);

        lookups.saveNotFound(done, now.plusSeconds(1));
        lookups.recordFailure(missing, "HTTP 500", true, now.plusSeconds(1));

        assertEquals(new LookupState(done, "done", 0, false), lookups.find(done).orElseThrow());
        assertEquals(new LookupState(missing, "not_found", 0, false), lookups.find(missing).orElseThrow());
    }

    @Test
    void aStaleNotFoundRefreshedAsFoundBecomesDone() {
        Instant now = Instant.now();
        String h = hash(HashType.SHA256, "now-known");
        batchAt(now.minus(Duration.ofDays(2)), h);
        lookups.saveNotFound(h, now.minus(Duration.ofDays(2)));
        String id = batchAt(now, h);

        lookups.saveFound(h, report(h, null, null, 5), now);

        BatchItem item = batches.items(id).get(0);
        assertEquals("done", item.getStatus());
        assertEquals(5, item.getMalicious());
        assertFalse(item.isRefreshing());
    }

    @Test
    void pendingEntriesListEveryBatchOfAnOpenLookupOldestBatchFirst() {
        String a = hash(HashType.MD5, "pe-a");
        String b = hash(HashType.MD5, "pe-b");
        String c = hash(HashType.MD5, "pe-c");
        String later = batchAt(T0.plusSeconds(10), c, a);
        String earlier = batchAt(T0, a, b);
        lookups.saveNotFound(b, T0);

        assertEquals(List.of(new PendingEntry(earlier, a), new PendingEntry(later, c),
                new PendingEntry(later, a)), pendingEntries());
        assertEquals(List.of(a, c), lookups.pendingHashes());
    }

    // --- CallLogRepository

    @Test
    void theCallLogReturnsCallsSinceAnInstantOldestFirst() {
        callLog.record(T0.plusSeconds(2));
        callLog.record(T0);
        callLog.record(T0.minusSeconds(1));

        assertEquals(List.of(T0, T0.plusSeconds(2)), callLog.since(T0));
        assertEquals(List.of(T0.minusSeconds(1), T0, T0.plusSeconds(2)), callLog.since(Instant.EPOCH));
    }

    @Test
    void theCallLogKeepsMillisecondPrecision() {
        Instant at = T0.plusMillis(123);
        callLog.record(at);

        assertEquals(List.of(at), callLog.since(at));
    }

    @Test
    void deleteBeforeRemovesOnlyOlderCalls() {
        callLog.record(T0.minusSeconds(60));
        callLog.record(T0.minusMillis(1));
        callLog.record(T0);
        callLog.record(T0.plusSeconds(60));

        callLog.deleteBefore(T0);

        assertEquals(List.of(T0, T0.plusSeconds(60)), callLog.since(Instant.EPOCH));
    }

    // --- concurrency

    @Test
    void concurrentUploadsAndAnswersDoNotFail() throws Exception {
        int writers = 4;
        int batchesPerWriter = 15;
        List<String> shared = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            shared.add(hash(HashType.SHA256, "shared" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                tasks.add(() -> {
                    int queued = 0;
                    for (int b = 0; b < batchesPerWriter; b++) {
                        List<String> hashes = new ArrayList<>(shared);
                        for (int i = 0; i < 20; i++) {
                            hashes.add(hash(HashType.MD5, "w" + writer + "b" + b + "i" + i));
                        }
                        queued += batches.create(UUID.randomUUID().toString(), Instant.now(),
                                extracted(hashes.toArray(String[]::new))).size();
                    }
                    return queued;
                });
            }
            tasks.add(() -> {
                int saved = 0;
                for (int round = 0; round < 3; round++) {
                    for (String h : lookups.pendingHashes()) {
                        lookups.saveFound(h, report(h.length() == 64 ? h : hash(HashType.SHA256, h), null, null, 1),
                                Instant.now());
                        saved++;
                    }
                }
                return saved;
            });
            List<Future<Integer>> results = new ArrayList<>();
            for (Callable<Integer> task : tasks) {
                results.add(pool.submit(task));
            }
            for (Future<Integer> result : results) {
                result.get(50, TimeUnit.SECONDS); // rethrows any exception of the task
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(writers * batchesPerWriter, batches.countBatches());
        for (String h : shared) {
            String state = status(h);
            assertTrue("pending".equals(state) || "done".equals(state), h + " is " + state);
        }
        for (int w = 0; w < writers; w++) {
            assertTrue(lookups.find(hash(HashType.MD5, "w" + w + "b0i0")).isPresent());
        }
    }

    @Test
    void concurrentUploadsOfTheSameHashesEachQueueThemAndShareOneLookupEach() throws Exception {
        List<String> shared = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            shared.add(hash(HashType.SHA1, "one-queue" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<String>>> results = new ArrayList<>();
        try {
            for (int w = 0; w < 4; w++) {
                results.add(pool.submit(() -> batches.create(UUID.randomUUID().toString(), Instant.now(),
                        extracted(shared.toArray(String[]::new)))));
            }
            for (Future<List<String>> result : results) {
                assertEquals(shared, result.get(50, TimeUnit.SECONDS),
                        "each batch lists all its open hashes in upload order");
            }

            assertEquals(shared.size(), lookups.pendingHashes().size(), "one open lookup per hash");
            assertEquals(new java.util.HashSet<>(shared), new java.util.HashSet<>(lookups.pendingHashes()));
            assertEquals(4 * shared.size(), pendingEntries().size(), "one entry per batch and hash");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void uploadsSharingHashesInOppositeOrdersAndAnswersRacingThemAllComplete() throws Exception {
        // Each writer uploads the same files' hashes, half of them in the opposite order, while two more
        // threads store answers for those files. Row locks taken in upload order deadlocked here.
        int files = 30;
        List<String> shared = new ArrayList<>();
        List<FileReport> answers = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            String md5 = hash(HashType.MD5, "race" + i);
            String sha1 = hash(HashType.SHA1, "race" + i);
            String sha256 = hash(HashType.SHA256, "race" + i);
            shared.addAll(List.of(md5, sha1, sha256));
            answers.add(report(sha256, md5, sha1, i % 3));
        }
        int writers = 8;
        int rounds = 5;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        Map<String, Integer> uniquePerBatch = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                tasks.add(() -> {
                    java.util.Random random = new java.util.Random(writer);
                    for (int round = 0; round < rounds; round++) {
                        List<String> hashes = new ArrayList<>(shared);
                        if (writer % 2 == 1) {
                            java.util.Collections.reverse(hashes);
                        }
                        if (writer % 4 == 2) {
                            java.util.Collections.shuffle(hashes, random);
                        }
                        hashes.add(hash(HashType.MD5, "own" + writer + "/" + round));
                        String id = UUID.randomUUID().toString();
                        batches.create(id, Instant.now(), extracted(hashes.toArray(String[]::new)));
                        uniquePerBatch.put(id, hashes.size());
                    }
                    return rounds;
                });
            }
            for (int a = 0; a < 2; a++) {
                int answerer = a;
                tasks.add(() -> {
                    List<FileReport> order = new ArrayList<>(answers);
                    java.util.Collections.shuffle(order, new java.util.Random(100 + answerer));
                    for (FileReport answer : order) {
                        lookups.saveFound(answerer == 0 ? answer.md5() : answer.sha1(), answer, Instant.now());
                    }
                    return order.size();
                });
            }
            List<Future<Integer>> results = new ArrayList<>();
            for (Callable<Integer> task : tasks) {
                results.add(pool.submit(task));
            }
            for (Future<Integer> result : results) {
                result.get(120, TimeUnit.SECONDS); // rethrows any exception of the task
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(writers * rounds, batches.countBatches());
        assertEquals(writers * rounds, uniquePerBatch.size());
        for (Map.Entry<String, Integer> batch : uniquePerBatch.entrySet()) {
            List<com.vtbatchsearch.batch.BatchItem> items = batches.items(batch.getKey());
            assertEquals((int) batch.getValue(), items.size(), "every item of batch " + batch.getKey());
            BatchCounts counts = batches.counts(batches.find(batch.getKey()).orElseThrow());
            assertEquals(1, counts.getPending(), "only the batch's own hash is open: " + batch.getKey());
        }
        for (FileReport answer : answers) {
            for (String alias : answer.aliases()) {
                assertEquals("done", status(alias), alias);
            }
        }
    }
}
