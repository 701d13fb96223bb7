package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.queue.LookupQueue.Turn;
import com.vtbatchsearch.queue.RedisLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.FakeVirusTotal.Reply;
import com.vtbatchsearch.testing.SharedRedis;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers of two app instances sharing one Redis queue and one Redis rate limit (and one database):
 * a test's own Redis on a free port, the fake VirusTotal on loopback.
 */
class RedisLookupWorkerTest {
    private static final LookupWorker.Settings SETTINGS = new LookupWorker.Settings(Duration.ofMillis(50),
            Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(20), 3, Duration.ofSeconds(30));
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final SharedRedis REDIS = new SharedRedis();

    @TempDir
    Path dataDir;

    private final Clock clock = Clock.systemUTC();
    private String prefix;
    private FakeVirusTotal fake;
    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private VirusTotalClient client;
    private final List<RedisLookupQueue> queues = new ArrayList<>();
    private final List<LookupWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        prefix = "vt-batch-search-test:" + UUID.randomUUID() + ":";
        fake = new FakeVirusTotal();
        database = Database.openSqlite(dataDir);
        batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        lookups = new LookupRepository(database);
        client = new VirusTotalClient(URI.create(fake.baseUrl()), FakeVirusTotal.API_KEY, Duration.ofSeconds(5));
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
            queues.forEach(RedisLookupQueue::close);
            client.close();
            fake.close();
            database.close();
        }
    }

    /** One app instance: its own queue and limiter objects on the shared prefix, and {@code n} workers. */
    private RedisLookupQueue instance(int perMinute, int n) {
        return instance(perMinute, n, Duration.ofHours(1));
    }

    private RedisLookupQueue instance(int perMinute, int n, Duration maintenanceInterval) {
        RedisLookupQueue queue = new RedisLookupQueue(REDIS.pool(), prefix, "redis test", Duration.ofSeconds(30));
        queue.markFilled();
        queues.add(queue);
        RateLimiter limiter = new RedisRateLimiter(REDIS.pool(), prefix, perMinute, 1_000_000, clock, at -> { });
        LookupStatus status = new LookupStatus(true, limiter);
        QueueMaintenance maintenance = new QueueMaintenance(queue, lookups, maintenanceInterval, maintenanceInterval,
                clock, () -> { });
        for (int i = 0; i < n; i++) {
            LookupWorker worker = new LookupWorker("instance" + queues.size() + "-worker" + i, queue, lookups, client,
                    limiter, status, maintenance, SETTINGS, clock);
            workers.add(worker);
            Thread thread = new Thread(worker, "lookup-worker-" + workers.size());
            thread.setDaemon(true);
            threads.add(thread);
        }
        return queue;
    }

    private void startAll() {
        threads.forEach(Thread::start);
    }

    private String submit(RedisLookupQueue queue, List<String> hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.put(h, HashType.of(h).orElseThrow());
        }
        String id = UUID.randomUUID().toString();
        if (!batches.create(id, clock.instant(), new ExtractedHashes(distinct, hashes.size())).isEmpty()) {
            queue.enqueue(id);
        }
        return id;
    }

    private static List<String> md5s(String seed, int n) {
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hashes.add(LookupWorkerTest.hash(HashType.MD5, seed + i));
        }
        return hashes;
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

    @Test
    void workersOfTwoInstancesMakeOneCallPerHashSharedByBatches() throws InterruptedException {
        fake.fallback(h -> fake.knownFile(h).after(Duration.ofMillis(20)));
        RedisLookupQueue first = instance(1_000_000, 2);
        RedisLookupQueue second = instance(1_000_000, 2);
        List<String> shared = md5s("shared", 12);
        List<String> ids = List.of(submit(first, shared), submit(second, shared), submit(first, shared.subList(0, 4)));
        startAll();

        await("every lookup is answered", () -> lookups.pendingHashes().isEmpty());
        await("the queue is drained", () -> first.size() == 0 && first.inProgress() == 0 && second.inProgress() == 0);

        for (String h : shared) {
            assertEquals(1, fake.calls(h), "calls for " + h);
        }
        assertEquals(shared.size(), fake.calls());
        for (String id : ids) {
            assertTrue(batches.items(id).stream().allMatch(i -> "done".equals(i.getStatus())), "batch " + id);
        }
    }

    @Test
    void workersOfTwoInstancesShareOnePerMinuteLimit() throws InterruptedException {
        RedisLookupQueue first = instance(5, 2);
        instance(5, 2);
        submit(first, md5s("limited", 12));
        startAll();

        await("five calls were made", () -> fake.calls() >= 5);
        Thread.sleep(500); // time enough for more calls, had the limit allowed them

        assertEquals(5, fake.calls());
        assertEquals(7, lookups.pendingHashes().size());
    }

    @Test
    void stopPutsTheEntryInFlightBackAtTheHeadAndEmptiesTheProcessingList() throws InterruptedException {
        List<String> hashes = md5s("in-flight", 2);
        fake.script(hashes.get(0), fake.knownFile(hashes.get(0)).after(Duration.ofSeconds(10)));
        RedisLookupQueue queue = instance(1_000_000, 1);
        String id = submit(queue, hashes);
        startAll();
        await("the slow request reached VirusTotal", () -> fake.calls(hashes.get(0)) == 1);
        assertEquals(1, queue.inProgress());

        assertTrue(workers.get(0).stop(Duration.ofSeconds(2)), "the worker did not stop within 2 s");

        assertEquals(0, queue.inProgress());
        assertEquals(Optional.of(new Turn(id, -1)), queue.take(Duration.ZERO), "the hash in flight is next again");
        assertEquals(Optional.empty(), queue.take(Duration.ZERO), "one place");
        assertEquals("pending", lookups.find(hashes.get(0)).orElseThrow().status());
    }

    @Test
    void entriesOfAStoppedInstanceAreRecoveredAndAnswered() throws InterruptedException {
        List<String> hashes = md5s("recovered", 3);
        RedisLookupQueue dead = new RedisLookupQueue(REDIS.pool(), prefix, "dead instance", Duration.ofSeconds(30));
        queues.add(dead);
        String id = submit(dead, hashes);
        Turn taken = dead.take(Duration.ofMillis(100)).orElseThrow(); // then the instance died
        dead.close();
        assertEquals(new Turn(id, -1), taken);
        assertEquals(0, dead.size(), "the batch's only place was in the dead instance's hands");
        instance(1_000_000, 1);
        startAll();

        await("every lookup is answered", () -> lookups.pendingHashes().isEmpty());

        assertEquals(0, dead.inProgress());
        for (String h : hashes) {
            assertEquals(1, fake.calls(h), "calls for " + h);
        }
    }

    @Test
    void a429PausesTheWorkersOfEveryInstance() throws InterruptedException {
        List<String> hashes = md5s("paused", 6);
        fake.script(hashes.get(0), FakeVirusTotal.error(429, "QuotaExceededError", "Quota exceeded"));
        RedisLookupQueue first = instance(1_000_000, 1, Duration.ofMillis(300));
        RedisLookupQueue second = instance(1_000_000, 1, Duration.ofMillis(300));
        RateLimiter shared = new RedisRateLimiter(REDIS.pool(), prefix, 1_000_000, 1_000_000, clock, at -> { });
        submit(first, hashes.subList(0, 1));
        startAll();
        await("lookups are paused", () -> shared.pause().isPresent());
        long pauseEnd = shared.pause().orElseThrow().until().toEpochMilli();

        submit(second, hashes.subList(1, hashes.size()));
        await("every lookup is answered", () -> lookups.pendingHashes().isEmpty());

        List<Long> times = fake.callTimes();
        assertEquals(7, times.size(), "six hashes, one asked twice");
        for (long t : times.subList(1, times.size())) {
            assertTrue(t >= pauseEnd - 20, "a call " + (pauseEnd - t) + " ms before the pause ended: " + times);
        }
        assertEquals(2, fake.calls(hashes.get(0)));
    }

    @Test
    void reUploadsOfAPendingListAddOnePlaceEachToTheRedisQueue() {
        RedisLookupQueue queue = instance(1_000_000, 0);
        BatchService service = new BatchService(batches, queue,
                new LocalRateLimiter(4, 500, clock, List.of(), at -> { }), clock);
        List<String> pending = md5s("re-uploaded", 1_000);
        Map<String, HashType> distinct = new LinkedHashMap<>();
        pending.forEach(h -> distinct.put(h, HashType.MD5));
        service.submit(new ExtractedHashes(distinct, pending.size()));

        for (int i = 0; i < 30; i++) {
            service.submit(new ExtractedHashes(distinct, pending.size()));
        }

        System.out.println("Redis queue after 30 re-uploads of a 1,000-hash pending list: " + queue.size()
                + " entries");
        assertEquals(31, queue.size(), "one place per batch");
        assertEquals(31, REDIS.pool().llen(prefix + "batches"), "and nothing else grew in Redis");
        assertTrue(REDIS.pool().keys(prefix + "*").size() <= 4, REDIS.pool().keys(prefix + "*").toString());
    }
}
