package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.lookup.LookupRepository.LookupState;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.FakeVirusTotal.Reply;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.net.URI;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker storing what VirusTotal answered into PostgreSQL, which refuses what SQLite takes (a NUL
 * character in TEXT) and whose writes a trigger can make fail on purpose: an answer, once paid for,
 * is stored without a second call.
 */
class LookupWorkerOnPostgresTest {
    private static final LookupWorker.Settings SETTINGS = new LookupWorker.Settings(Duration.ofMillis(50),
            Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(20), 3, Duration.ofSeconds(30));
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static PostgresDatabase postgres;

    private final Clock clock = Clock.systemUTC();
    private FakeVirusTotal fake;
    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private EmbeddedLookupQueue queue;
    private VirusTotalClient client;
    private LookupWorker worker;
    private Thread thread;

    @BeforeAll
    static void createDatabase() {
        postgres = PostgresDatabase.create();
    }

    @AfterAll
    static void dropDatabase() {
        postgres.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        fake = new FakeVirusTotal();
        database = Database.open(postgres.freshSchemaUrl(), PostgresDatabase.USER, null);
        batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        lookups = new LookupRepository(database);
        queue = new EmbeddedLookupQueue();
        queue.markFilled();
        client = new VirusTotalClient(URI.create(fake.baseUrl()), FakeVirusTotal.API_KEY, Duration.ofSeconds(5));
        RateLimiter limiter = new LocalRateLimiter(1_000_000, 1_000_000, clock, List.of(), at -> { });
        worker = new LookupWorker("worker-pg", queue, lookups, client, limiter, new LookupStatus(true, limiter),
                new QueueMaintenance(queue, lookups, Duration.ofHours(1), Duration.ofHours(1), clock, () -> { }), SETTINGS, clock);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (thread != null) {
                assertTrue(worker.stop(Duration.ofSeconds(5)), "the worker did not stop");
            }
        } finally {
            client.close();
            fake.close();
            database.close();
        }
    }

    private String submit(String hash) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        distinct.put(hash, HashType.of(hash).orElseThrow());
        String id = UUID.randomUUID().toString();
        batches.create(id, clock.instant(), new ExtractedHashes(distinct, 1));
        queue.enqueue(id);
        return id;
    }

    private void start() {
        thread = new Thread(worker, "lookup-worker-on-postgres");
        thread.setDaemon(true);
        thread.start();
    }

    private String status(String hash) {
        return lookups.find(hash).map(LookupState::status).orElse(null);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instances.await(what, WAIT, condition);
    }

    /** Makes the next {@code times} writes of an answer (the files row) fail, as a database fault would. */
    private void failStoringAnswers(int times) {
        database.inTransaction("cannot add the failing trigger", c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE SEQUENCE store_failures");
                s.execute("""
                        CREATE FUNCTION fail_storing_answers() RETURNS trigger AS $$
                        BEGIN
                          IF nextval('store_failures') <= %d THEN
                            RAISE EXCEPTION 'injected failure storing an answer';
                          END IF;
                          RETURN NEW;
                        END $$ LANGUAGE plpgsql""".formatted(times));
                s.execute("CREATE TRIGGER fail_storing_answers BEFORE INSERT OR UPDATE ON files"
                        + " FOR EACH ROW EXECUTE FUNCTION fail_storing_answers()");
            }
            return null;
        });
    }

    @Test
    void anAnswerWithNulAndControlCharactersIsStoredStrippedAfterExactlyOneCall() throws Exception {
        String md5 = LookupWorkerTest.hash(HashType.MD5, "nul");
        String sha1 = LookupWorkerTest.hash(HashType.SHA1, "nul");
        String sha256 = LookupWorkerTest.hash(HashType.SHA256, "nul");
        // VirusTotal escapes control characters in its JSON; Jackson turns them back into characters.
        String body = FakeVirusTotal.fileJson(sha256, md5, sha1, 3, "LABEL", "NAME")
                .replace("\"LABEL\"", "\"tro\\u0000jan.\\u001b[31mnul\\u007f\"")
                .replace("\"NAME\"", "\"evil\\u0000name\\u0007.exe\"")
                .replace("\"Win32 EXE\"", "\"Win32\\u0000 EXE\\r\\n\"")
                .replace("\"peexe\"", "\"pe\\u0000exe\"");
        fake.fallback(h -> h.equals(md5) ? Reply.of(200, body) : fake.knownFile(h)); // the same answer every time
        String id = submit(md5);

        start();
        await("the answer is stored", () -> "done".equals(status(md5)));
        Thread.sleep(200); // a worker that failed to store it would call again meanwhile

        assertEquals(1, fake.calls(md5));
        assertEquals(1, fake.calls());
        BatchItem item = batches.items(id).get(0);
        assertEquals("trojan.[31mnul", item.getLabel());
        assertEquals("evilname.exe", item.getName());
        assertEquals("Win32 EXE  ", item.getFileType());
        String raw = batches.details(id, md5).orElseThrow().rawJson();
        assertFalse(raw.contains("\\u0000") || raw.contains("\u0000"), raw);
        JsonNode attributes = new ObjectMapper().readTree(raw).path("data").path("attributes");
        assertEquals("trojan.[31mnul",
                attributes.path("last_analysis_results").path("Engine01").path("result").asText(),
                "the engine's result is stripped too");
        assertEquals("evilname.exe", attributes.path("meaningful_name").asText());
        assertEquals(sha256, attributes.path("sha256").asText(), "the rest of the answer is kept");
        assertEquals(3, attributes.path("last_analysis_stats").path("malicious").asInt());
        String tags = database.inTransaction("read tags", c -> {
            try (Statement s = c.createStatement(); var r = s.executeQuery("SELECT tags FROM files")) {
                r.next();
                return r.getString(1);
            }
        });
        assertEquals("peexe,overlay", tags);
    }

    @Test
    void anAnswerWhoseStoringFailsSeveralTimesIsStoredWithoutASecondCall() throws Exception {
        String h = LookupWorkerTest.hash(HashType.SHA256, "store-fails-then-works");
        String id = submit(h);
        failStoringAnswers(3);

        start();
        await("the answer is stored", () -> "done".equals(status(h)));

        assertEquals(1, fake.calls(h));
        assertEquals(1, fake.calls());
        BatchItem item = batches.items(id).get(0);
        assertEquals("trojan.fake/" + h.substring(0, 6), item.getLabel());
        assertEquals(2, lookups.find(h).orElseThrow().attempts(), "the failures after the first count as attempts");
    }

    @Test
    void anAnswerThatCanNeverBeStoredEndsAsAnErrorAfterOneCall() throws Exception {
        String h = LookupWorkerTest.hash(HashType.SHA1, "store-always-fails");
        String id = submit(h);
        failStoringAnswers(Integer.MAX_VALUE);

        start();
        await("the lookup ends as an error", () -> "error".equals(status(h)));
        Thread.sleep(300); // time for a call it should not make

        assertEquals(1, fake.calls(h));
        assertEquals(SETTINGS.maxAttempts(), lookups.find(h).orElseThrow().attempts());
        String error = batches.items(id).get(0).getError();
        assertTrue(error.contains("could not be stored") && error.contains("injected failure"), error);
        assertEquals(0, queue.size(), "nothing left in the queue");
    }
}
