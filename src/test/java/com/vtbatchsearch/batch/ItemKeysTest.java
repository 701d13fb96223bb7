package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.ItemKeys;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.SqliteJournalMode;
import com.vtbatchsearch.testing.Migrations;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sort and filter keys each item carries (see {@link ItemKeys}) stay exact on every engine: every page of
 * every sort and filter is what sorting and filtering the items as they show (read in upload order) gives, as
 * answers, not-founds, failures, refreshes and uploads change them, under concurrent writers, and after the
 * migration that adds the keys to a database with batches in it.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(ItemKeysTest.Engine.class)
class ItemKeysTest {
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

    @AfterAll
    static void dropPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void open() {
        database = openDatabase(url("vt-batch-search.db"));
        batches = new BatchRepository(database, FRESHNESS);
        lookups = new LookupRepository(database);
    }

    /** A fresh database: a new schema on PostgreSQL, the file {@code file} on SQLite. */
    private String url(String file) {
        if (engine == Engine.POSTGRESQL) {
            if (postgres == null) {
                postgres = PostgresDatabase.create();
            }
            return postgres.freshSchemaUrl();
        }
        return "jdbc:sqlite:" + dataDir.resolve(file);
    }

    private Database openDatabase(String url) {
        return switch (engine) {
            case SQLITE -> Database.open(url, null, null);
            case SQLITE_EXCLUSIVE -> Database.open(url, null, null, SqliteJournalMode.DELETE);
            case POSTGRESQL -> Database.open(url, PostgresDatabase.USER, null);
        };
    }

    @AfterEach
    void close() {
        if (database != null) {
            database.close();
        }
    }

    private static String hash(HashType type, String seed) {
        return BatchRepositoryTest.hash(type, seed);
    }

    private static final String[] LABELS = {"trojan.alpha", null, "Trojan.Bravo", "trojan.bravo", "worm.charlie"};
    private static final String[] NAMES = {"kilo", "Lima", null, "lima", "mike"};
    private static final String[] TYPES = {"pdf", "zip", "Elf", null};

    /** A found file's answer with values that tie, differ in case and are missing, chosen by {@code n}. */
    private static FileReport answer(String sha256, String md5, String sha1, int n) {
        return new FileReport(sha256, md5, sha1, n % 4, n % 3 == 0 ? 1 : 0, 60, 2, LABELS[n % LABELS.length],
                NAMES[n % NAMES.length], TYPES[n % TYPES.length],
                n % 6 == 0 ? null : Instant.ofEpochSecond(1_500_000_000L + n % 4), T0, 0, List.of(), "{}");
    }

    /** A batch of {@code size} hashes (all three types), some with the line they came from. */
    private String upload(String seed, int size, Instant at) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        Map<String, String> contexts = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
            HashType type = HashType.values()[i % 3];
            String h = hash(type, seed + i);
            distinct.put(h, type);
            if (i % 4 == 1) {
                contexts.put(h, "line " + i + ": Emotet " + h);
            }
        }
        String id = UUID.randomUUID().toString();
        batches.create(id, at, new ExtractedHashes(distinct, size, contexts));
        return id;
    }

    /** Answers the batch's hashes in a mix: found (varied), not found, failed, and some left pending. */
    private void answerMix(String id) {
        List<BatchItem> items = batches.items(id);
        for (int n = 0; n < items.size(); n++) {
            String h = items.get(n).getHash();
            switch (n % 6) {
                case 0, 1, 2 -> lookups.saveFound(h, answer(h.length() == 64 ? h : hash(HashType.SHA256, "file" + h),
                        null, null, n), T0);
                case 3 -> lookups.saveNotFound(h, T0);
                case 4 -> lookups.recordFailure(h, "boom", true, T0);
                default -> { } // pending
            }
        }
    }

    // --- the reference: the items as they show, filtered and sorted in Java

    private static Comparable<?> key(BatchItem item, ItemQuery.Sort sort) {
        return switch (sort) {
            case POSITION -> null;
            case HASH -> item.getHash();
            case TYPE -> item.getHash().length();
            case VERDICT -> item.category().ordinal();
            case DETECTIONS -> item.getMalicious();
            case LABEL -> lower(item.getLabel());
            case NAME -> lower(item.getName());
            case FILE_TYPE -> lower(item.getFileType());
            case FIRST_SEEN -> item.getFirstSeen() == null ? null : Instant.parse(item.getFirstSeen());
            case LAST_ANALYSIS -> item.getLastAnalysis() == null ? null : Instant.parse(item.getLastAnalysis());
            case SIZE -> item.getSize();
            case TIMES_SUBMITTED -> item.getTimesSubmitted();
            case FAMILY -> lower(item.getFamily());
            case CATEGORY -> lower(item.getCategory());
            case SIGNER -> lower(item.getSigner());
        };
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static boolean matches(BatchItem item, String text) {
        String q = text.toLowerCase(Locale.ROOT);
        for (String field : new String[] {item.getHash(), item.getSha256(), item.getLabel(), item.getName(),
                item.getFileType(), item.getContext()}) {
            if (field != null && field.toLowerCase(Locale.ROOT).contains(q)) {
                return true;
            }
        }
        return false;
    }

    /** Items with a value by it (ties in upload order), reversed when descending, then those without, in upload order. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<String> expected(List<BatchItem> all, ItemQuery query) {
        List<Integer> positions = new ArrayList<>();
        for (int p = 0; p < all.size(); p++) {
            BatchItem item = all.get(p);
            if ((query.verdict() == null || item.category() == query.verdict())
                    && (query.text() == null || matches(item, query.text()))) {
                positions.add(p);
            }
        }
        List<Integer> with = new ArrayList<>();
        List<Integer> without = new ArrayList<>();
        for (int p : positions) {
            (query.sort() != ItemQuery.Sort.POSITION && key(all.get(p), query.sort()) == null ? without : with).add(p);
        }
        if (query.sort() != ItemQuery.Sort.POSITION) {
            with.sort(Comparator.comparing(p -> (Comparable) key(all.get(p), query.sort())));
        }
        if (query.descending()) {
            java.util.Collections.reverse(with);
        }
        with.addAll(without);
        return with.stream().map(p -> all.get(p).getHash()).toList();
    }

    private static List<String> hashes(List<BatchItem> items) {
        return items.stream().map(BatchItem::getHash).toList();
    }

    /** Every sort both ways under every verdict filter and some text filters: whole, in pages, and counted. */
    private void assertEveryPageMatchesTheItems(String id, boolean pages) {
        List<BatchItem> all = batches.items(id);
        List<ItemQuery.Verdict> verdicts = new ArrayList<>();
        verdicts.add(null);
        verdicts.addAll(List.of(ItemQuery.Verdict.values()));
        for (ItemQuery.Sort sort : ItemQuery.Sort.values()) {
            for (boolean descending : new boolean[] {false, true}) {
                for (ItemQuery.Verdict verdict : verdicts) {
                    for (String text : new String[] {null, "BRAVO", "emotet", "no such text", all.get(2).getHash()
                            .substring(5, 15)}) {
                        ItemQuery whole = new ItemQuery(verdict, text, sort, descending, 0, 0);
                        String what = sort + (descending ? " desc" : " asc") + " verdict " + verdict + " q " + text;
                        List<String> expected = expected(all, whole);
                        assertEquals(expected, hashes(batches.items(id, whole)), what);
                        assertEquals(expected.size(), batches.countItems(id, whole), what + ": count");
                        if (pages && (verdict == null || text == null)) {
                            int limit = 7;
                            for (int offset = 0; offset <= expected.size() + limit; offset += limit) {
                                assertEquals(expected.subList(Math.min(offset, expected.size()),
                                        Math.min(offset + limit, expected.size())),
                                        hashes(batches.items(id, new ItemQuery(verdict, text, sort, descending, offset,
                                                limit))), what + " offset " + offset);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(0, inconsistentItems(database));
    }

    /**
     * Under MALICIOUS_MIN_ENGINES above 1 the verdict key (malicious from one engine) no longer is the verdict:
     * the verdict filters and sort read it with the detections key and give the rows the rule over the
     * answer's columns gives (the join that counters and exports use), and every sort and filter still
     * matches the items as they show under that policy.
     */
    @Test
    void aPolicyOfMoreEnginesFiltersAndSortsByVerdictAsTheJoinedRuleDoes() {
        String id = upload("strict", 90, T0);
        answerMix(id);
        batches = new BatchRepository(database, FRESHNESS, new VerdictPolicy(2, List.of()));
        String rank = """
                CASE WHEN l.status = 'done' AND f.malicious >= 2 THEN 0
                     WHEN l.status = 'done' AND (f.malicious > 0 OR f.suspicious > 0) THEN 1
                     WHEN l.status = 'done' THEN 2
                     WHEN l.status = 'not_found' THEN 3
                     WHEN l.status = 'error' THEN 4
                     ELSE 5 END""";
        List<String> malicious = joined(id, "(" + rank + ") = 0", "i.position");
        List<String> suspicious = joined(id, "(" + rank + ") = 1", "i.position");
        assertTrue(!malicious.isEmpty() && !suspicious.isEmpty(), "the batch holds both under the policy");
        assertTrue(joined(id, "f.malicious = 1", "i.position").stream().allMatch(suspicious::contains),
                "a file one engine flags is suspicious under the policy");
        for (boolean descending : new boolean[] {false, true}) {
            String direction = descending ? " DESC" : " ASC";
            assertEquals(malicious, hashes(batches.items(id, new ItemQuery(ItemQuery.Verdict.MALICIOUS, null,
                    ItemQuery.Sort.POSITION, false, 0, 0))));
            assertEquals(suspicious, hashes(batches.items(id, new ItemQuery(ItemQuery.Verdict.SUSPICIOUS, null,
                    ItemQuery.Sort.POSITION, false, 0, 0))));
            assertEquals(malicious.size(), batches.countItems(id, new ItemQuery(ItemQuery.Verdict.MALICIOUS, null,
                    ItemQuery.Sort.POSITION, false, 0, 0)));
            assertEquals(suspicious.size(), batches.countItems(id, new ItemQuery(ItemQuery.Verdict.SUSPICIOUS, null,
                    ItemQuery.Sort.POSITION, false, 0, 0)));
            List<String> sorted = joined(id, "1 = 1", "(" + rank + ")" + direction + ", i.position" + direction);
            assertEquals(sorted, hashes(batches.items(id, new ItemQuery(null, null, ItemQuery.Sort.VERDICT,
                    descending, 0, 0))), "verdict sort" + direction);
            List<String> paged = new ArrayList<>();
            for (int offset = 0; offset < sorted.size(); offset += 7) {
                paged.addAll(hashes(batches.items(id, new ItemQuery(null, null, ItemQuery.Sort.VERDICT, descending,
                        offset, 7))));
            }
            assertEquals(sorted, paged, "verdict sort in pages" + direction);
            assertEquals(joined(id, "(" + rank + ") = 1", "f.malicious" + direction + ", i.position" + direction),
                    hashes(batches.items(id, new ItemQuery(ItemQuery.Verdict.SUSPICIOUS, null,
                            ItemQuery.Sort.DETECTIONS, descending, 0, 0))), "suspicious by detections" + direction);
        }
        assertEveryPageMatchesTheItems(id, true);
    }

    /** The batch's hashes that satisfy {@code condition} over the item, its lookup and its answer, in {@code order}. */
    private List<String> joined(String id, String condition, String order) {
        List<String> hashes = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT i.hash FROM batch_items i JOIN lookups l ON l.hash = i.hash"
                        + " LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256 WHERE i.batch_id = ? AND "
                        + condition + " ORDER BY " + order)) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    hashes.add(r.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return hashes;
    }

    /** Items (of any batch) whose keys differ from what their lookup and answer say now; 0 when all are exact. */
    static int inconsistentItems(Database database) {
        String differs = ItemKeys.KEYS.stream()
                .map(k -> "NOT (i." + k.column() + " IS NOT DISTINCT FROM k." + k.column() + ")")
                .collect(Collectors.joining(" OR "));
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM batch_items i JOIN ("
                        + ItemKeys.selectStateAndKeys() + ") k ON k.hash = i.hash WHERE " + differs);
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everySortAndFilterPageIsTheItemsAsTheyShow() {
        String id = upload("mix", 48, T0);
        answerMix(id);
        assertEveryPageMatchesTheItems(id, true);
    }

    @Test
    void keysFollowAnswersAsTheyArriveInEveryBatchHoldingTheHash() {
        String a = upload("follow", 24, T0);
        List<String> h = hashes(batches.items(a));
        // Another batch holds some of the same hashes and the sha256 of the file whose md5 is h0.
        String fileOfH0 = hash(HashType.SHA256, "file of h0");
        Map<String, HashType> other = new LinkedHashMap<>();
        for (String x : List.of(h.get(0), fileOfH0, h.get(3), h.get(4), h.get(6))) {
            other.put(x, HashType.of(x).orElseThrow());
        }
        String b = UUID.randomUUID().toString();
        batches.create(b, T0, new ExtractedHashes(other, other.size()));
        assertEveryPageMatchesTheItems(b, false);

        lookups.saveFound(h.get(0), answer(fileOfH0, h.get(0), null, 1), T0);
        assertEquals(List.of(h.get(0), fileOfH0), hashes(batches.items(b,
                new ItemQuery(ItemQuery.Verdict.MALICIOUS, null, ItemQuery.Sort.POSITION, false, 0, 0))),
                "the answer for the md5 shows for its sha256 in another batch");
        lookups.saveNotFound(h.get(3), T0);
        lookups.recordFailure(h.get(4), "boom", false, T0);
        lookups.recordFailure(h.get(6), "boom", true, T0);
        assertEveryPageMatchesTheItems(a, false);
        assertEveryPageMatchesTheItems(b, false);
        assertEquals(List.of(h.get(6)), hashes(batches.items(b,
                new ItemQuery(ItemQuery.Verdict.ERROR, null, ItemQuery.Sort.VERDICT, false, 0, 10))));

        // A new batch opens the failed lookup again: the items of the others turn pending with it.
        String c = upload("unrelated", 3, T0);
        batches.create(UUID.randomUUID().toString(), T0, BatchRepositoryTest.extracted(h.get(6)));
        assertEquals(List.of(), batches.items(b, new ItemQuery(ItemQuery.Verdict.ERROR, null, ItemQuery.Sort.POSITION,
                false, 0, 10)));
        assertEveryPageMatchesTheItems(a, false);
        assertEveryPageMatchesTheItems(b, false);
        assertEveryPageMatchesTheItems(c, false);

        // A refresh of stale answers: the new answers replace the old keys, a not found clears them.
        Instant later = T0.plus(Duration.ofDays(30));
        assertEquals(List.of(h.get(0), h.get(3)), batches.requestRefresh(a, later).stream().sorted(
                Comparator.comparing(h::indexOf)).toList());
        lookups.saveFound(fileOfH0, answer(fileOfH0, h.get(0), null, 4), later);
        lookups.saveFound(h.get(3), answer(hash(HashType.SHA256, "file h3"), null, null, 2), later);
        assertEveryPageMatchesTheItems(a, false);
        assertEveryPageMatchesTheItems(b, false);
        assertEquals(List.of(h.get(0), fileOfH0), hashes(batches.items(b,
                new ItemQuery(ItemQuery.Verdict.CLEAN, null, ItemQuery.Sort.POSITION, false, 0, 0))),
                "the refreshed answer (no detections now) for both hashes of the file");
        batches.requestRefresh(a, later.plus(Duration.ofDays(30)));
        lookups.saveNotFound(h.get(0), later.plus(Duration.ofDays(30)));
        assertEveryPageMatchesTheItems(a, false);
        assertEquals(List.of(h.get(0)), hashes(batches.items(a,
                new ItemQuery(ItemQuery.Verdict.NOT_FOUND, null, ItemQuery.Sort.POSITION, false, 0, 0))).subList(0, 1));
        assertEquals(List.of(), hashes(batches.items(a,
                new ItemQuery(null, fileOfH0.substring(3, 20), ItemQuery.Sort.POSITION, false, 0, 0))),
                "a not-found md5 no longer matches its old file's sha256");
    }

    @Test
    void aNewBatchOfAnsweredHashesCarriesTheirKeys() {
        String first = upload("again", 30, T0);
        answerMix(first);
        String second = upload("again", 30, T0.plusSeconds(60));
        assertEveryPageMatchesTheItems(second, true);
    }

    @Test
    void keysStayExactUnderConcurrentUploadsAnswersAndFailures() throws Exception {
        int files = 30;
        List<String> shared = new ArrayList<>();
        List<FileReport> answers = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            String md5 = hash(HashType.MD5, "race" + i);
            String sha1 = hash(HashType.SHA1, "race" + i);
            String sha256 = hash(HashType.SHA256, "race" + i);
            shared.addAll(List.of(md5, sha1, sha256));
            answers.add(answer(sha256, md5, sha1, i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(7);
        List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                tasks.add(() -> {
                    for (int round = 0; round < 4; round++) {
                        List<String> hashes = new ArrayList<>(shared);
                        java.util.Collections.shuffle(hashes, new java.util.Random(writer * 10 + round));
                        String id = UUID.randomUUID().toString();
                        batches.create(id, Instant.now(), BatchRepositoryTest.extracted(hashes.toArray(String[]::new)));
                        ids.add(id);
                    }
                    return 0;
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
                    return 0;
                });
            }
            tasks.add(() -> {
                for (int i = 0; i < files; i += 3) {
                    lookups.recordFailure(hash(HashType.SHA256, "race" + i), "boom", true, Instant.now());
                    lookups.saveNotFound(hash(HashType.SHA1, "race" + (i + 1)), Instant.now());
                }
                return 0;
            });
            List<Future<Integer>> results = new ArrayList<>();
            for (Callable<Integer> task : tasks) {
                results.add(pool.submit(task));
            }
            for (Future<Integer> result : results) {
                result.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, inconsistentItems(database));
        for (String id : ids.subList(0, 3)) {
            assertEveryPageMatchesTheItems(id, false);
        }
    }

    @Test
    void theMigrationGivesTheItemsOfAnExistingDatabaseTheirKeys() throws Exception {
        database.close();
        database = null;
        String url = url("before-the-keys.db");
        int before = Migrations.versions().stream().filter(v -> v < 6).reduce((x, y) -> y).orElseThrow();
        Flyway.configure(Database.class.getClassLoader())
                .dataSource(url, engine == Engine.POSTGRESQL ? PostgresDatabase.USER : null, null)
                .locations("classpath:db/migration").target(String.valueOf(before)).load().migrate();
        String id = "00000000-0000-0000-0000-0000000000aa";
        String[] h = new String[6];
        try (Connection c = java.sql.DriverManager.getConnection(url,
                engine == Engine.POSTGRESQL ? PostgresDatabase.USER : null, null)) {
            c.createStatement().executeUpdate("INSERT INTO batches (id, created_at, found, unique_count) VALUES ('"
                    + id + "', 0, 6, 6)");
            String[] statuses = {"done", "done", "not_found", "error", "pending", "done"};
            for (int n = 0; n < h.length; n++) {
                h[n] = hash(HashType.MD5, "old" + n);
                String sha256 = hash(HashType.SHA256, "old file" + n);
                try (PreparedStatement s = c.prepareStatement("INSERT INTO batch_items (batch_id, position, hash,"
                        + " hash_type, context) VALUES (?, ?, ?, 'MD5', ?)")) {
                    s.setString(1, id);
                    s.setInt(2, n);
                    s.setString(3, h[n]);
                    s.setString(4, n == 4 ? "an Emotet line" : null);
                    s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement("INSERT INTO lookups (hash, status, attempts, refresh,"
                        + " error, sha256, updated_at) VALUES (?, ?, 0, 0, NULL, ?, ?)")) {
                    s.setString(1, h[n]);
                    s.setString(2, statuses[n]);
                    s.setString(3, "done".equals(statuses[n]) ? sha256 : null);
                    s.setLong(4, System.currentTimeMillis());
                    s.executeUpdate();
                }
                if ("done".equals(statuses[n])) {
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO files (sha256, md5, sha1, malicious,"
                            + " suspicious, undetected, harmless, label, name, file_type, first_seen, raw_json,"
                            + " fetched_at) VALUES (?, ?, NULL, ?, 0, 60, 0, ?, ?, 'PDF', ?, '{}', 0)")) {
                        s.setString(1, sha256);
                        s.setString(2, h[n]);
                        s.setInt(3, n == 0 ? 0 : 3 + n);
                        s.setString(4, n == 0 ? null : "Trojan.Old" + n);
                        s.setString(5, "Name" + (5 - n));
                        s.setLong(6, 1_000 + n);
                        s.executeUpdate();
                    }
                }
            }
        }
        database = openDatabase(url);
        batches = new BatchRepository(database, FRESHNESS);
        lookups = new LookupRepository(database);
        assertEquals(0, inconsistentItems(database));
        assertEquals(List.of(h[5], h[1], h[0], h[2], h[3], h[4]), hashes(batches.items(id,
                new ItemQuery(null, null, ItemQuery.Sort.DETECTIONS, true, 0, 10))));
        assertEquals(List.of(h[1], h[5]), hashes(batches.items(id,
                new ItemQuery(ItemQuery.Verdict.MALICIOUS, "trojan.old", ItemQuery.Sort.POSITION, false, 0, 10))));
        assertEquals(List.of(h[4]), hashes(batches.items(id,
                new ItemQuery(ItemQuery.Verdict.PENDING, "emotet", ItemQuery.Sort.POSITION, false, 0, 10))));
        assertEveryPageMatchesTheItems(id, true);
        // Answers after the migration keep them exact.
        lookups.saveFound(h[4], answer(hash(HashType.SHA256, "new file"), h[4], null, 3), Instant.now());
        assertEveryPageMatchesTheItems(id, false);
    }
}
