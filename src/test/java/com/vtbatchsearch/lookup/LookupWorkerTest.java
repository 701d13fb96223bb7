package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.lookup.LookupRepository.LookupState;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.LookupQueue.Turn;
import com.vtbatchsearch.store.Database;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookupWorkerTest {
    private static final LookupWorker.Settings SETTINGS = new LookupWorker.Settings(Duration.ofMillis(50),
            Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(20), 3, Duration.ofSeconds(30));
    private static final Freshness FRESHNESS = new Freshness(Duration.ofDays(7), Duration.ofHours(24));
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    private final Clock clock = Clock.systemUTC();
    private FakeVirusTotal fake;
    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private EmbeddedLookupQueue queue;
    private RateLimiter limiter;
    private LookupStatus status;
    private QueueMaintenance maintenance;
    private VirusTotalClient client;
    private LookupWorker worker;
    private Thread thread;
    private final List<LookupWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakeVirusTotal();
        database = Database.openSqlite(dataDir);
        batches = new BatchRepository(database, FRESHNESS);
        lookups = new LookupRepository(database);
        queue = new EmbeddedLookupQueue();
        queue.markFilled(); // as after the start-up fill: tests queue what they submit themselves
        limiter(1_000_000, 1_000_000);
        maintenance = new QueueMaintenance(queue, lookups, Duration.ofHours(1), Duration.ofHours(1), clock, () -> { });
    }

    private void limiter(int perMinute, int perDay) {
        limiter = new LocalRateLimiter(perMinute, perDay, clock, List.of(), at -> { });
        status = new LookupStatus(true, limiter);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            workers.forEach(LookupWorker::requestStop);
            for (LookupWorker w : workers) {
                assertTrue(w.awaitStop(Duration.ofSeconds(5)), "a worker did not stop");
            }
            for (Thread t : threads) {
                t.join(5_000);
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
        return worker(perMinute, apiKey, clientTimeout, SETTINGS);
    }

    private LookupWorker worker(int perMinute, String apiKey, Duration clientTimeout, LookupWorker.Settings settings) {
        if (client == null) {
            client = new VirusTotalClient(URI.create(fake.baseUrl()), apiKey, clientTimeout);
        }
        if (limiter.perMinute() != perMinute) {
            limiter(perMinute, limiter.perDay());
        }
        worker = new LookupWorker("worker-" + workers.size(), queue, lookups, client, limiter, status, maintenance,
                settings, clock);
        workers.add(worker);
        return worker;
    }

    private LookupWorker worker() {
        return worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5));
    }

    /** Starts the last worker made (one is made if none was). */
    private void start() {
        if (worker == null) {
            worker();
        }
        thread = new Thread(worker, "lookup-worker-under-test-" + threads.size());
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    /** Stores a batch of {@code hashes} and queues what it says to queue, as BatchService does. */
    private String submit(String... hashes) {
        String id = UUID.randomUUID().toString();
        if (!store(id, hashes).isEmpty()) {
            queue.enqueue(id);
        }
        return id;
    }

    /** Stores a batch without queueing anything, as when the queue lost its contents. */
    private List<String> store(String id, String... hashes) {
        return store(id, clock.instant(), hashes);
    }

    private List<String> store(String id, Instant createdAt, String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.put(h, HashType.of(h).orElseThrow());
        }
        return batches.create(id, createdAt, new ExtractedHashes(distinct, hashes.length));
    }

    /** The turns waiting in the queue, in the order they would be served; empties the queue. */
    private List<Turn> drainQueue() throws InterruptedException {
        List<Turn> taken = new ArrayList<>();
        Optional<Turn> next;
        while ((next = queue.take(Duration.ZERO)).isPresent()) {
            taken.add(next.get());
        }
        return taken;
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
        String id = submit(h);
        worker(10_000, "not-the-key", Duration.ofSeconds(5));

        start();
        await("the key is marked rejected", status::isKeyRejected);
        assertTrue(worker.stop(Duration.ofSeconds(2)), "the worker did not stop within 2 s");

        assertEquals("key_rejected", status.getState());
        assertEquals(Optional.of(new LookupState(h, "pending", 0)), lookups.find(h));
        assertEquals(List.of(new Turn(id, -1)), drainQueue(), "the batch keeps one place; its next turn picks the hash");
        // the pause keeps the worker from hammering VirusTotal with a bad key
        assertTrue(fake.calls(h) <= 2, "calls with a rejected key: " + fake.calls(h));
    }

    @Test
    void stopEndsTheWorkerWithin2sAndPutsTheHashInFlightBack() throws InterruptedException {
        String slow = hash(HashType.MD5, "slow");
        String waiting = hash(HashType.MD5, "waiting");
        fake.script(slow, new Reply(200, FakeVirusTotal.fileJson(hash(HashType.SHA256, "slow"), slow, null, 0, null,
                null), Duration.ofSeconds(10)));
        String id = submit(slow, waiting);
        worker(10_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(30));
        start();
        await("the slow request reached VirusTotal", () -> fake.calls(slow) == 1);

        long begin = System.nanoTime();
        worker.requestStop(); // cuts the request in flight short by itself
        boolean stopped = worker.awaitStop(Duration.ofSeconds(2));

        long millis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertTrue(stopped, "the worker did not stop within 2 s");
        assertTrue(millis < 2_000, "stopping took " + millis + " ms");
        assertEquals(List.of(new Turn(id, -1)), drainQueue(), "the hash in flight is its batch's next again");
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
    void pendingHashesMissingFromTheQueueAreLookedUpAfterARefill() throws InterruptedException {
        String lost = hash(HashType.SHA256, "lost");
        store(UUID.randomUUID().toString(), lost);
        queue = new EmbeddedLookupQueue(); // a new queue: it asks to be filled from the database
        maintenance = new QueueMaintenance(queue, lookups, Duration.ofHours(1), Duration.ofHours(1), clock, () -> { });

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

    // --- several workers, 429s, stop, refresh

    private static final LookupWorker.Settings SHORT_PAUSE = new LookupWorker.Settings(Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofMillis(20), 3, Duration.ofSeconds(30));

    private static Reply quotaExceeded() {
        return FakeVirusTotal.error(429, "QuotaExceededError", "Quota exceeded");
    }

    private Instant nextMidnight() {
        return RateLimiter.startOfNextUtcDay(clock.instant());
    }

    @Test
    void twoWorkersMakeOneCallPerHashQueuedForTwoBatches() throws InterruptedException {
        fake.fallback(h -> fake.knownFile(h).after(Duration.ofMillis(30)));
        String[] shared = new String[8];
        for (int i = 0; i < shared.length; i++) {
            shared[i] = hash(HashType.SHA256, "shared" + i);
        }
        String first = submit(shared);
        String second = submit(shared); // all pending already: the second batch takes turns too
        assertEquals(2, queue.size(), "one place per batch");
        worker();
        start();
        worker();
        start();

        awaitNothingPending();
        await("the queue is drained", () -> queue.size() == 0);

        for (String h : shared) {
            assertEquals(1, fake.calls(h), "calls for " + h);
        }
        assertEquals(shared.length, fake.calls());
        for (String id : List.of(first, second)) {
            assertTrue(batches.items(id).stream().allMatch(i -> "done".equals(i.getStatus()) && i.getMalicious() != null),
                    "every row of batch " + id + " is answered");
        }
    }

    @Test
    void aHashAnsweredByAnotherWorkerWhileThisOneHeldItsEntryCostsNoSecondCall() throws InterruptedException {
        String h = hash(HashType.MD5, "one-hash-two-batches");
        fake.script(h, fake.knownFile(h).after(Duration.ofMillis(300)));
        String first = submit(h);
        String second = submit(h);
        worker();
        start();
        worker();
        start();

        awaitNothingPending();
        await("both batches left the queue", () -> queue.size() == 0);

        assertEquals(1, fake.calls(h));
        assertEquals("done", batches.items(first).get(0).getStatus());
        assertEquals("done", batches.items(second).get(0).getStatus());
    }

    @Test
    void aStreakOfQuotaErrorsAfterPausesPausesLookupsUntilUtcMidnight() throws InterruptedException {
        String h = hash(HashType.SHA1, "daily-quota");
        fake.script(h, quotaExceeded(), quotaExceeded(), quotaExceeded());
        submit(h);
        worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), SHORT_PAUSE);

        start();
        await("lookups are paused until midnight",
                () -> limiter.pause().map(p -> !p.until().isBefore(nextMidnight().minusSeconds(1))).orElse(false));

        assertEquals(3, fake.calls(h));
        assertEquals(nextMidnight(), limiter.pause().orElseThrow().until());
        assertTrue(limiter.pause().orElseThrow().reason().contains("QuotaExceededError"),
                limiter.pause().orElseThrow().reason());
        assertEquals(limiter.perDay(), limiter.usedToday(), "the day's budget is marked spent");
        assertEquals("paused", status.getState());
        List<Long> times = fake.callTimes();
        for (int i = 1; i < times.size(); i++) {
            assertTrue(times.get(i) - times.get(i - 1) >= SHORT_PAUSE.rateLimitPause().toMillis() - 20,
                    "no pause between the quota errors: " + times);
        }
        Thread.sleep(3 * SHORT_PAUSE.rateLimitPause().toMillis()); // a 100 ms pause would have ended by now
        assertEquals(3, fake.calls(), "no call during the daily pause");
        assertEquals("pending", status(h));
    }

    @Test
    void quotaErrorsSeparatedByAnAnswerAreNoStreak() throws InterruptedException {
        String limited = hash(HashType.SHA1, "limited-again");
        String other = hash(HashType.MD5, "answered-between");
        fake.script(limited, quotaExceeded(), quotaExceeded(), quotaExceeded());
        submit(limited, other);
        worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), SHORT_PAUSE);

        start();
        awaitNothingPending();

        assertEquals(4, fake.calls(limited), "three quota errors, then the answer");
        assertEquals("done", status(limited));
        assertTrue(limiter.pause().isEmpty(), "no daily pause: " + limiter.pause());
        assertTrue(limiter.usedToday() < limiter.perDay());
    }

    @Test
    void tooManyRequestsErrorsNeverPauseUntilMidnight() throws InterruptedException {
        String h = hash(HashType.SHA256, "too-many");
        Reply tooMany = FakeVirusTotal.error(429, "TooManyRequestsError", "Too many requests");
        fake.script(h, tooMany, tooMany, tooMany, tooMany);
        submit(h);
        worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), SHORT_PAUSE);

        start();
        await("the hash is done", () -> "done".equals(status(h)));

        assertEquals(5, fake.calls(h));
        assertTrue(limiter.pause().isEmpty(), "no pause left: " + limiter.pause());
    }

    /** A limiter whose pause takes a while to set, as a Redis round trip does. */
    private static RateLimiter slowToPause(RateLimiter limiter, Duration delay) {
        return new RateLimiter() {
            @Override
            public Optional<Instant> tryAcquire() {
                return limiter.tryAcquire();
            }

            @Override
            public void pauseUntil(Instant until, String reason) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                limiter.pauseUntil(until, reason);
            }

            @Override
            public Optional<Pause> pause() {
                return limiter.pause();
            }

            @Override
            public void exhaustToday() {
                limiter.exhaustToday();
            }

            @Override
            public int usedThisMinute() {
                return limiter.usedThisMinute();
            }

            @Override
            public int usedToday() {
                return limiter.usedToday();
            }

            @Override
            public int perMinute() {
                return limiter.perMinute();
            }

            @Override
            public int perDay() {
                return limiter.perDay();
            }
        };
    }

    @Test
    void quotaErrorsOfWorkersCallingTogetherCountAsOneStepNotAsTheDailyQuota() throws InterruptedException {
        limiter = slowToPause(new LocalRateLimiter(1_000_000, 1_000_000, clock, List.of(), at -> { }),
                Duration.ofMillis(150));
        status = new LookupStatus(true, limiter);
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String h = hash(HashType.MD5, "together" + i);
            hashes.add(h);
            fake.script(h, quotaExceeded().after(Duration.ofMillis(50)));
        }
        submit(hashes.toArray(String[]::new));
        for (int w = 0; w < 4; w++) {
            worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), SHORT_PAUSE);
            start();
        }

        awaitNothingPending();

        for (String h : hashes) {
            assertEquals("done", status(h), h);
            assertEquals(2, fake.calls(h), "one quota error, then the answer: " + h);
        }
        assertTrue(limiter.pause().map(p -> p.until().isBefore(nextMidnight().minusSeconds(1))).orElse(true),
                "four simultaneous quota errors are one step, not the daily quota: " + limiter.pause());
        assertTrue(limiter.usedToday() < limiter.perDay(), "the day's budget is not marked spent");
    }

    @Test
    void aRateLimitWhenTheCountedDailyBudgetIsSpentPausesUntilMidnight() throws InterruptedException {
        String h = hash(HashType.MD5, "last-of-the-day");
        fake.script(h, FakeVirusTotal.error(429, "TooManyRequestsError", "Too many requests"));
        submit(h);
        limiter(1_000_000, 1); // this call spends the day's budget
        worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), SHORT_PAUSE);

        start();
        // spending the budget pauses lookups already, before the call is answered
        await("the call was made and lookups are paused", () -> fake.calls(h) == 1 && limiter.pause().isPresent());

        assertEquals(nextMidnight(), limiter.pause().orElseThrow().until());
        assertEquals(1, fake.calls(h));
        assertEquals("pending", status(h));
        assertEquals("paused", status.getState());
    }

    @Test
    void a429WithRetryAfterPausesAtLeastThatLong() throws InterruptedException {
        String limited = hash(HashType.MD5, "retry-after");
        fake.allowance(FakeVirusTotal.NO_CAP, 0, FakeVirusTotal.NO_CAP).retryAfter(3);
        submit(limited);
        worker();

        start();
        await("lookups are paused", () -> limiter.pause().isPresent());
        Instant until = limiter.pause().orElseThrow().until();
        Instant sentAround = Instant.ofEpochMilli(fake.callTimes().get(0));

        // the worker's own pause after a 429 is 200 ms here; Retry-After asks for 3 s
        assertTrue(!until.isBefore(sentAround.plusSeconds(3).minusMillis(50)),
                "pause until " + until + " after a 429 with Retry-After: 3 at " + sentAround);
        assertTrue(limiter.pause().orElseThrow().reason().contains("Retry-After 3 s"), limiter.pause().orElseThrow().reason());
        assertEquals(1, fake.calls(limited));
    }

    @Test
    void aSingle429PausesEveryLookupForAtLeastTheRateLimitPause() throws InterruptedException {
        String limited = hash(HashType.MD5, "single-429");
        fake.script(limited, quotaExceeded());
        submit(limited);
        worker();

        start();
        await("lookups are paused", () -> limiter.pause().isPresent());
        Instant until = limiter.pause().orElseThrow().until();
        Instant sentAround = Instant.ofEpochMilli(fake.callTimes().get(0));

        assertTrue(!until.isBefore(sentAround.plus(SETTINGS.rateLimitPause()).minusMillis(20)),
                "pause until " + until + " after a 429 at " + sentAround);
        assertTrue(until.isBefore(nextMidnight().minusSeconds(1)) || clock.instant().isAfter(nextMidnight().minusSeconds(5)),
                "a single 429 is not the daily quota: " + until);
        awaitNothingPending();
        assertEquals("done", status(limited));
        assertEquals(2, fake.calls(limited));
    }

    @Test
    void stopWhileWaitingForAPermitPutsTheEntryBackAtTheHead() throws InterruptedException {
        String a = hash(HashType.MD5, "waiting-a");
        String b = hash(HashType.MD5, "waiting-b");
        String id = submit(a, b);
        limiter.pauseUntil(clock.instant().plus(Duration.ofHours(1)), "test pause");
        worker();

        start();
        Thread.sleep(300); // the worker took a's turn and waits for a permit (paused for an hour)
        assertFalse(queue.tryClaim(a, "another-worker", Duration.ofSeconds(1)), "the worker holds a");
        assertTrue(worker.stop(Duration.ofSeconds(2)), "the worker did not stop within 2 s");

        assertEquals(List.of(new Turn(id, -1)), drainQueue(), "a is its batch's next again");
        assertEquals(0, fake.calls());
        assertEquals(Optional.of(new LookupState(a, "pending", 0)), lookups.find(a));
    }

    @Test
    void aStaleAnswerMarkedForRefreshIsLookedUpAgainAndReplaced() throws InterruptedException {
        String h = hash(HashType.SHA256, "stale");
        Instant old = clock.instant().minus(Duration.ofDays(10));
        store(UUID.randomUUID().toString(), old, h);
        lookups.saveFound(h, oldReport(h), old);
        String id = submit(h);
        BatchItem before = batches.items(id).get(0);
        assertTrue(before.isStale() && before.isRefreshing(), "the old answer shows as stale and refreshing");

        start();
        await("the refresh is done", () -> !lookups.find(h).orElseThrow().refresh());

        assertEquals(1, fake.calls(h));
        BatchItem after = batches.items(id).get(0);
        assertEquals("done", after.getStatus());
        assertEquals("trojan.fake/" + h.substring(0, 6), after.getLabel(), "the new answer replaced the old one");
        assertFalse(after.isStale());
        assertFalse(after.isRefreshing());
    }

    @Test
    void aRefreshThatFailsEveryAttemptKeepsTheOldAnswer() throws InterruptedException {
        String h = hash(HashType.SHA256, "stale-failing");
        Instant old = clock.instant().minus(Duration.ofDays(10));
        store(UUID.randomUUID().toString(), old, h);
        lookups.saveFound(h, oldReport(h), old);
        String id = submit(h);
        fake.script(h, FakeVirusTotal.error(500, "InternalError", "boom 1"),
                FakeVirusTotal.error(502, "BadGateway", "boom 2"),
                FakeVirusTotal.error(503, "TransientError", "boom 3"));

        start();
        await("the refresh gave up", () -> !lookups.find(h).orElseThrow().refresh());

        assertEquals(3, fake.calls(h));
        BatchItem item = batches.items(id).get(0);
        assertEquals("done", item.getStatus());
        assertEquals("old/label", item.getLabel(), "the old answer is kept");
        assertEquals(null, item.getError(), "no error shown over a kept answer");
        assertTrue(item.isStale(), "still stale");
        assertFalse(item.isRefreshing());
        await("the batch left the queue", () -> queue.size() == 0);
    }

    @Test
    void aBatchWhoseHashesWereAnsweredMeanwhileLeavesTheQueueWithoutACall() throws InterruptedException {
        String h = hash(HashType.MD5, "answered-in-queue");
        String id = submit(h);
        lookups.saveNotFound(h, clock.instant());
        queue.enqueue(id); // a place left by a refill

        start();
        await("the batch left the queue", () -> queue.size() == 0);

        Thread.sleep(100);
        assertEquals(0, fake.calls());
        assertEquals(0, queue.size());
    }

    private static FileReport oldReport(String sha256) {
        return new FileReport(sha256, null, null, 2, 0, 60, 0, "old/label", "old.exe", "Win32 EXE",
                Instant.ofEpochSecond(1_500_000_000L), Instant.ofEpochSecond(1_600_000_000L), -1, List.of(), "{}");
    }

    @Test
    void anEntryRefusedWhileAnotherWorkerBacksOffIsKeptAndTheHashEndsDone() throws InterruptedException {
        // One worker's lookup fails and it backs off for a second; the other, idle, takes the re-queued
        // entry. The entry must survive that: dropping it would leave the hash open until a refill.
        LookupWorker.Settings slowRetry = new LookupWorker.Settings(Duration.ofMillis(50), Duration.ofMillis(200),
                Duration.ofMillis(500), Duration.ofSeconds(1), 3, Duration.ofSeconds(30));
        String flaky = hash(HashType.MD5, "flaky-two-workers");
        fake.script(flaky, FakeVirusTotal.error(500, "InternalError", "boom"));
        submit(flaky);
        worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), slowRetry);
        start();
        worker(1_000_000, FakeVirusTotal.API_KEY, Duration.ofSeconds(5), slowRetry);
        start();

        await("the lookup is done", () -> "done".equals(status(flaky)));
        assertEquals(2, fake.calls(flaky));
    }

    @Test
    void aSmallBatchBehindALargeOneIsDoneAfterAbout20Lookups() throws InterruptedException {
        String[] large = new String[5_000];
        for (int i = 0; i < large.length; i++) {
            large[i] = hash(HashType.MD5, "large" + i);
        }
        String[] small = new String[10];
        for (int i = 0; i < small.length; i++) {
            small[i] = hash(HashType.MD5, "small" + i);
        }
        submit(large);
        String smallBatch = submit(small);
        // The call count when the small batch's last hash was asked for: the worker goes on with the
        // large batch while the test waits, so the count read afterwards says nothing about fairness.
        Set<String> smallHashes = Set.of(small);
        AtomicInteger lastSmallCall = new AtomicInteger();
        fake.fallback(h -> {
            if (smallHashes.contains(h)) {
                lastSmallCall.accumulateAndGet(fake.calls(), Math::max);
            }
            return fake.knownFile(h);
        });

        start();
        await("the small batch is done", () -> batches.items(smallBatch).stream()
                .noneMatch(i -> "pending".equals(i.getStatus())));

        assertTrue(lastSmallCall.get() <= 22, "calls before the small batch was done: " + lastSmallCall.get());
    }

    @Test
    void aHashThatFailedComesAfterItsBatchsOtherOpenHashes() throws InterruptedException {
        String flaky = hash(HashType.MD5, "retried-last");
        String second = hash(HashType.MD5, "served-before-the-retry");
        fake.script(flaky, FakeVirusTotal.error(500, "InternalError", "boom"));
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        fake.fallback(h -> {
            order.add(h);
            return fake.knownFile(h);
        });
        submit(flaky, second);

        start();
        awaitNothingPending();

        assertEquals(List.of(second, flaky), order, "answered after the first failure: the other hash first");
        assertEquals(2, fake.calls(flaky));
    }
}
