package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.BatchRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.LookupRepository;
import com.vtbatchsearch.store.LookupRepository.LookupState;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.FakeVirusTotal.Reply;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookupWorkerTest {
    private static final LookupWorker.Settings SETTINGS = new LookupWorker.Settings(Duration.ofMillis(50),
            Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(20), 3, Duration.ofMillis(100));
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    private final Clock clock = Clock.systemUTC();
    private FakeVirusTotal fake;
    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private EmbeddedLookupQueue queue;
    private LookupStatus status;
    private VirusTotalClient client;
    private LookupWorker worker;
    private Thread thread;

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakeVirusTotal();
        database = Database.openSqlite(dataDir);
        batches = new BatchRepository(database);
        lookups = new LookupRepository(database);
        queue = new EmbeddedLookupQueue();
        status = new LookupStatus(true, clock);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (worker != null && thread != null) {
                worker.requestStop();
                client.close();
                assertTrue(worker.awaitStop(Duration.ofSeconds(5)), "the worker did not stop");
                thread.join(5_000);
            }
        } finally {
            if (client != null) {
                client.close();
            }
            fake.close();
            database.close();
        }
    }

    // --- helpers

    private LookupWorker worker(int perMinute, String apiKey, Duration clientTimeout) {
        client = new VirusTotalClient(URI.create(fake.baseUrl()), apiKey, clientTimeout);
        RateLimiter limiter = new RateLimiter(perMinute, 1_000_000, clock, List.of(), at -> { });
        worker = new LookupWorker(queue, lookups, client, limiter, status, SETTINGS, clock);
        return worker;
    }

    private LookupWorker worker() {
        return worker(10_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5));
    }

    private void start() {
        if (worker == null) {
            worker();
        }
        thread = new Thread(worker, "lookup-worker-under-test");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stores a batch of {@code hashes} and queues what it says to queue, as BatchService does. */
    private String submit(String... hashes) {
        String id = UUID.randomUUID().toString();
        queue.addAll(store(id, hashes));
        return id;
    }

    /** Stores a batch without queueing anything, as when the queue lost its contents. */
    private List<String> store(String id, String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.put(h, HashType.of(h).orElseThrow());
        }
        return batches.create(id, clock.instant(), new ExtractedHashes(distinct, hashes.length));
    }

    static String hash(HashType type, String seed) {
        String algorithm = switch (type) {
            case MD5 -> "MD5";
            case SHA1 -> "SHA-1";
            case SHA256 -> "SHA-256";
        };
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm)
                    .digest(seed.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String status(String hash) {
        return lookups.find(hash).map(LookupState::status).orElse(null);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + WAIT.toSeconds() + " s waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private void awaitNothingPending() throws InterruptedException {
        await("no hash is pending", () -> lookups.pendingHashes().isEmpty());
    }

    // --- tests

    @Test
    void everyHashEndsDoneOrNotFoundWithExactlyOneCallEach() throws InterruptedException {
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            hashes.add(hash(HashType.MD5, "all" + i));
            hashes.add(hash(HashType.SHA1, "all" + i));
            hashes.add(hash(HashType.SHA256, "all" + i));
        }
        String unknown1 = hashes.get(1);
        String unknown2 = hashes.get(8);
        fake.script(unknown1, FakeVirusTotal.notFound(unknown1)).script(unknown2, FakeVirusTotal.notFound(unknown2));
        String id = submit(hashes.toArray(String[]::new));

        start();
        awaitNothingPending();

        for (String h : hashes) {
            String expected = h.equals(unknown1) || h.equals(unknown2) ? "not_found" : "done";
            assertEquals(expected, status(h), h);
            assertEquals(1, fake.calls(h), "calls for " + h);
        }
        assertEquals(hashes.size(), fake.calls());
        List<BatchItem> items = batches.items(id);
        assertEquals(10, items.stream().filter(i -> i.getMalicious() != null).count(), "verdicts stored");
    }

    @Test
    void aHashAnsweredBeforeItsTurnIsSkippedWithoutACall() throws InterruptedException {
        String answered = hash(HashType.MD5, "answered");
        String next = hash(HashType.MD5, "next");
        submit(answered, next);
        lookups.saveNotFound(answered, clock.instant());

        start();
        await("the hash after it is done", () -> "done".equals(status(next)));

        assertEquals(0, fake.calls(answered));
        assertEquals(1, fake.calls());
        assertEquals("not_found", status(answered));
    }

    @Test
    void aHashWhoseAliasWasAnsweredMeanwhileIsSkippedWithoutACall() throws InterruptedException {
        String md5 = hash(HashType.MD5, "file");
        String sha1 = hash(HashType.SHA1, "file");
        String sha256 = hash(HashType.SHA256, "file");
        String next = hash(HashType.SHA1, "next");
        submit(md5, sha256, sha1, next);
        // another batch's lookup of the md5 answered for the whole file
        lookups.saveFound(md5, new FileReport(sha256, md5, sha1, 1, 0, 70, 0, null, null, null, null, null, null,
                List.of(), "{}"), clock.instant());

        start();
        await("the last hash is done", () -> "done".equals(status(next)));

        assertEquals(0, fake.calls(md5));
        assertEquals(0, fake.calls(sha1));
        assertEquals(0, fake.calls(sha256));
        assertEquals(1, fake.calls());
    }

    @Test
    void aRateLimitedHashIsAskedAgainAfterThePauseAndItsAnswerKept() throws InterruptedException {
        String limited = hash(HashType.SHA256, "limited");
        String other = hash(HashType.MD5, "other");
        fake.script(limited, FakeVirusTotal.error(429, "QuotaExceededError", "Quota exceeded"));
        String id = submit(limited, other);

        start();
        awaitNothingPending();

        assertEquals("done", status(limited));
        assertEquals("done", status(other));
        assertEquals(2, fake.calls(limited));
        assertEquals(1, fake.calls(other));
        assertTrue(batches.items(id).stream().allMatch(i -> i.getMalicious() != null), "every verdict stored");
        List<Long> times = fake.callTimes();
        assertTrue(times.get(1) - times.get(0) >= SETTINGS.rateLimitPause().toMillis() - 20,
                "no pause after the 429: " + times);
    }

    @Test
    void threeServerErrorsEndTheLookupAsAnErrorWithTheReason() throws InterruptedException {
        String failing = hash(HashType.SHA1, "failing");
        fake.script(failing, FakeVirusTotal.error(500, "InternalError", "boom 1"),
                FakeVirusTotal.error(500, "InternalError", "boom 2"),
                FakeVirusTotal.error(500, "InternalError", "boom 3"));
        String id = submit(failing);

        start();
        await("the lookup ended as an error", () -> "error".equals(status(failing)));

        assertEquals(3, fake.calls(failing));
        assertEquals(Optional.of(new LookupState(failing, "error", 3)), lookups.find(failing));
        String error = batches.items(id).get(0).getError();
        assertTrue(error.contains("HTTP 500") && error.contains("boom 3"), error);
    }

    @Test
    void aServerErrorThenAnAnswerEndsDone() throws InterruptedException {
        String flaky = hash(HashType.MD5, "flaky");
        fake.script(flaky, FakeVirusTotal.error(503, "TransientError", "busy"));
        submit(flaky);

        start();
        await("the lookup is done", () -> "done".equals(status(flaky)));

        assertEquals(2, fake.calls(flaky));
        assertEquals(1, lookups.find(flaky).orElseThrow().attempts());
    }

    @Test
    void aRejectedKeyPausesLookupsAndKeepsTheHashPendingInTheQueue() throws InterruptedException {
        String h = hash(HashType.SHA256, "key");
        submit(h);
        worker(10_000, "not-the-key", Duration.ofSeconds(5));

        start();
        await("the key is marked rejected", status::isKeyRejected);
        assertTrue(worker.stop(Duration.ofSeconds(2)), "the worker did not stop within 2 s");

        assertEquals("key_rejected", status.getState());
        assertEquals(Optional.of(new LookupState(h, "pending", 0)), lookups.find(h));
        assertTrue(queue.snapshot().contains(h), "queue: " + queue.snapshot());
        // the pause keeps the worker from hammering VirusTotal with a bad key
        assertTrue(fake.calls(h) <= 2, "calls with a rejected key: " + fake.calls(h));
    }

    @Test
    void stopEndsTheWorkerWithin2sAndPutsTheHashInFlightBack() throws InterruptedException {
        String slow = hash(HashType.MD5, "slow");
        String waiting = hash(HashType.MD5, "waiting");
        fake.script(slow, new Reply(200, FakeVirusTotal.fileJson(hash(HashType.SHA256, "slow"), slow, null, 0, null,
                null), Duration.ofSeconds(10)));
        submit(slow, waiting);
        worker(10_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(30));
        start();
        await("the slow request reached VirusTotal", () -> fake.calls(slow) == 1);

        long begin = System.nanoTime();
        worker.requestStop(); // cuts the request in flight short by itself
        boolean stopped = worker.awaitStop(Duration.ofSeconds(2));

        long millis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertTrue(stopped, "the worker did not stop within 2 s");
        assertTrue(millis < 2_000, "stopping took " + millis + " ms");
        assertEquals(List.of(slow, waiting), List.copyOf(queue.snapshot()), "the hash in flight is back at the head");
        assertEquals(Optional.of(new LookupState(slow, "pending", 0)), lookups.find(slow),
                "a lookup cut short by the shutdown is not counted as a failure");
    }

    @Test
    void stopEndsAnIdleWorkerQuickly() throws InterruptedException {
        start();
        await("the worker polls the queue", () -> thread.getState() == Thread.State.TIMED_WAITING);

        long begin = System.nanoTime();
        assertTrue(worker.stop(Duration.ofSeconds(2)));
        assertTrue(Duration.ofNanos(System.nanoTime() - begin).toMillis() < 2_000);
    }

    @Test
    void requeuePendingAddsThePendingHashesTheQueueLacks() {
        String queued = hash(HashType.MD5, "queued");
        String lost1 = hash(HashType.MD5, "lost1");
        String lost2 = hash(HashType.SHA1, "lost2");
        String answered = hash(HashType.SHA1, "answered");
        store(UUID.randomUUID().toString(), queued, lost1, lost2, answered);
        lookups.saveNotFound(answered, clock.instant());
        queue.addAll(List.of(queued));
        worker();

        int added = worker.requeuePending();

        assertEquals(2, added);
        assertEquals(3, queue.size(), "no hash queued twice");
        assertEquals(java.util.Set.of(queued, lost1, lost2), queue.snapshot());
        assertEquals(0, worker.requeuePending(), "a second refill adds nothing");
    }

    @Test
    void pendingHashesMissingFromTheQueueAreLookedUpAfterARefill() throws InterruptedException {
        String lost = hash(HashType.SHA256, "lost");
        store(UUID.randomUUID().toString(), lost);

        start();
        await("the lost hash is done", () -> "done".equals(status(lost)));

        assertEquals(1, fake.calls(lost));
    }

    @Test
    void theRateLimitCapsCallsAndTheWorkerWaitsForTheWindow() throws InterruptedException {
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            hashes.add(hash(HashType.MD5, "limit" + i));
        }
        submit(hashes.toArray(String[]::new));
        worker(3, FakeVirusTotal.API_KEY, Duration.ofSeconds(5));

        start();
        await("three calls were made", () -> fake.calls() >= 3);
        Thread.sleep(1_000); // the worker has had time to make more calls, had it been allowed to

        assertEquals(3, fake.calls());
        assertEquals(2, lookups.pendingHashes().size());
        List<Long> times = fake.callTimes();
        assertTrue(times.get(2) - times.get(0) < 1_000, "the first three calls were not made at once: " + times);
        assertFalse(status.isKeyRejected());
    }
}
