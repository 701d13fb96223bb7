package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.queue.QueuedLookup;
import com.vtbatchsearch.queue.RedisLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.MutableClock;
import com.vtbatchsearch.testing.RedisProcess;
import com.vtbatchsearch.testing.TcpProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;

class QueueMaintenanceTest {
    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    private static final Duration RECOVER = Duration.ofSeconds(15);
    private static final Duration RECONCILE = Duration.ofMinutes(1);

    @TempDir
    Path dataDir;

    private final MutableClock clock = new MutableClock(T0);
    private final AtomicInteger refills = new AtomicInteger();
    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private CountingQueue queue;
    private QueueMaintenance maintenance;

    @BeforeEach
    void open() {
        database = Database.openSqlite(dataDir);
        batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        lookups = new LookupRepository(database);
        queue = new CountingQueue(new EmbeddedLookupQueue());
        maintenance = new QueueMaintenance(queue, lookups, RECOVER, RECONCILE, clock, refills::incrementAndGet);
    }

    @AfterEach
    void close() {
        queue.close();
        database.close();
    }

    private static String md5(int i) {
        return "%032x".formatted(i);
    }

    private static ExtractedHashes extracted(String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.put(h, HashType.of(h).orElseThrow());
        }
        return new ExtractedHashes(distinct, hashes.length);
    }

    /** Stores a batch without queueing it, as when queueing failed or the queue lost its contents. */
    private String store(Instant at, String... hashes) {
        String id = UUID.randomUUID().toString();
        batches.create(id, at, extracted(hashes));
        return id;
    }

    private List<String> drain(LookupQueue from) throws InterruptedException {
        List<String> taken = new ArrayList<>();
        Optional<LookupQueue.Turn> next;
        while ((next = from.take(Duration.ZERO)).isPresent()) {
            taken.add(next.get().batchId());
        }
        return taken;
    }

    @Test
    void aQueueThatNeedsRefillingIsFilledFromTheDatabaseAndTheListenerIsTold() throws InterruptedException {
        String older = store(T0, md5(1), md5(2), md5(3));
        String newer = store(T0.plusSeconds(1), md5(4), md5(2));
        store(T0.minusSeconds(1), md5(5));
        lookups.saveNotFound(md5(5), T0);

        int added = maintenance.runNow();

        assertEquals(2, added, "one place per batch with open lookups; not the answered one");
        assertEquals(1, refills.get(), "the listener is told once");
        assertFalse(queue.needsRefill());
        assertEquals(List.of(older, newer), drain(queue), "oldest batch first");
        assertEquals(1, queue.heartbeats.get());
        assertEquals(1, queue.recoveries.get());
    }

    @Test
    void theDatabaseIsReadAPageOfBatchesAtATime() throws InterruptedException {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < QueueMaintenance.PAGE * 2 + 3; i++) {
            ids.add(store(T0.plusMillis(i), md5(i)));
        }

        assertEquals(ids.size(), maintenance.runNow());

        assertEquals(List.of(QueueMaintenance.PAGE, QueueMaintenance.PAGE, 3), queue.reconciledPages);
        assertEquals(ids, drain(queue));
    }

    @Test
    void batchesThatHaveTheirPlaceAreLeftAlone() {
        store(T0, md5(1), md5(2));
        store(T0, md5(3));
        maintenance.runNow();

        assertEquals(0, maintenance.runNow());

        assertEquals(2, queue.size(), "nothing queued twice");
        assertEquals(1, refills.get());
    }

    @Test
    void aBatchThatWasNotQueuedGetsItsPlaceAtTheNextReconcileThoughOthersHaveWork() {
        String queued = store(T0, md5(1), md5(2));
        maintenance.runNow();
        String missed = store(T0.plusSeconds(1), md5(3)); // its upload could not reach the queue
        assertTrue(queue.isQueued(queued));

        clock.advance(RECONCILE.minusMillis(1));
        maintenance.maintain();
        assertFalse(queue.isQueued(missed), "not before the interval");

        clock.advance(Duration.ofMillis(1));
        maintenance.maintain();
        assertTrue(queue.isQueued(missed), "placed while the other batch still had work");
        assertEquals(1, refills.get(), "not a lost queue: the listener is not told again");
    }

    @Test
    void staleAnswersMarkedForRefreshAreOpenLookups() throws InterruptedException {
        String old = store(T0.minus(Duration.ofDays(10)), md5(1), md5(2));
        lookups.saveNotFound(md5(1), T0.minus(Duration.ofDays(10)));
        lookups.saveNotFound(md5(2), T0.minus(Duration.ofHours(1)));
        String id = store(T0, md5(1), md5(2));
        queue.markFilled();

        assertEquals(2, maintenance.runNow(), "both batches that hold the stale answer");

        assertEquals(List.of(old, id), drain(queue));
    }

    @Test
    void nothingIsQueuedWhenEveryLookupIsDone() {
        store(T0, md5(1), md5(2));
        lookups.saveNotFound(md5(1), T0);
        lookups.saveNotFound(md5(2), T0);
        queue.markFilled();

        assertEquals(0, maintenance.runNow());

        assertEquals(0, queue.size());
        assertEquals(0, refills.get());
    }

    @Test
    void aRefillWithNothingOpenStillMarksTheQueueFilled() {
        assertEquals(0, maintenance.runNow());

        assertFalse(queue.needsRefill());
        assertEquals(1, refills.get());
        assertEquals(0, queue.size());
    }

    @Test
    void entriesLeftByADeadInstanceAreCountedAsGivenBack() {
        queue.markFilled();
        queue.recoverable = 3;

        assertEquals(3, maintenance.runNow());
    }

    @Test
    void recoveryRunsOncePerItsIntervalAndReconcilingOncePerItsOwn() {
        store(T0, md5(1));
        queue.markFilled();
        maintenance.maintain();
        assertEquals(1, queue.recoveries.get());
        assertEquals(1, queue.reconciledPages.size());

        clock.advance(RECOVER.minusMillis(1));
        maintenance.maintain();
        assertEquals(1, queue.recoveries.get(), "too soon");

        clock.advance(Duration.ofMillis(1));
        maintenance.maintain();
        assertEquals(2, queue.recoveries.get(), "once the interval passed");
        assertEquals(1, queue.reconciledPages.size(), "reconciling waits for its own interval");

        clock.advance(RECONCILE.minus(RECOVER));
        maintenance.maintain();
        assertEquals(2, queue.reconciledPages.size());
    }

    @Test
    void aQueueThatLostItsContentsIsRefilledWithinASecond() throws InterruptedException {
        String id = store(T0, md5(1));
        maintenance.maintain();
        assertEquals(1, refills.get());
        drain(queue);
        queue.lostEverything = true; // a Redis that restarted empty

        clock.advance(Duration.ofMillis(1_000));
        maintenance.maintain();

        assertEquals(2, refills.get(), "refilled without waiting for the interval");
        assertEquals(List.of(id), drain(queue));
    }

    @Test
    void aQueueThatNeedsNoRefillIsNotCheckedAgainWithinASecond() {
        store(T0, md5(1));
        maintenance.maintain(); // the full run
        clock.advance(Duration.ofMillis(100));
        maintenance.maintain(); // a refill check
        int checks = queue.refillChecks.get();

        clock.advance(Duration.ofMillis(999));
        maintenance.maintain();
        maintenance.maintain();

        assertEquals(checks, queue.refillChecks.get(), "no check within a second of the last");
        clock.advance(Duration.ofMillis(1));
        maintenance.maintain();
        assertEquals(checks + 1, queue.refillChecks.get(), "one check after a second");
    }

    // --- with a Redis that blinks: a proxy in front of a test Redis on a free port, switched off and on

    /** Retries while the pool replaces the connections the outage cut. */
    private static <T> T eventually(Supplier<T> action) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return action.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private static JedisPooled pool(TcpProxy proxy) {
        return new JedisPooled(new HostAndPort("127.0.0.1", proxy.port()),
                DefaultJedisClientConfig.builder().timeoutMillis(2_000).build());
    }

    @Test
    void aBatchUploadedWhileRedisBlinkedGetsItsPlaceAtTheNextReconcile() throws InterruptedException {
        try (RedisProcess redis = RedisProcess.start();
                TcpProxy proxy = new TcpProxy("127.0.0.1", redis.port()).start();
                JedisPooled pool = pool(proxy)) {
            RedisLookupQueue shared = new RedisLookupQueue(pool, "{" + UUID.randomUUID() + "}:", "redis",
                    Duration.ofSeconds(30));
            QueueMaintenance redisMaintenance = new QueueMaintenance(shared, lookups, RECOVER, RECONCILE, clock,
                    () -> { });
            BatchService service = new BatchService(batches, shared,
                    new LocalRateLimiter(4, 500, clock, List.of(), at -> { }), clock);
            String busy = service.submit(extracted(md5(1), md5(2))).id();
            redisMaintenance.runNow();

            proxy.stop();
            String blinked = service.submit(extracted(md5(3))).id(); // stored; queueing it failed
            proxy.start();

            assertTrue(eventually(() -> shared.isQueued(busy)));
            assertFalse(shared.isQueued(blinked));
            clock.advance(RECONCILE);
            eventually(() -> {
                redisMaintenance.maintain();
                return null;
            });
            assertTrue(shared.isQueued(blinked), "queued within a minute though the queue was never empty");
            assertEquals(2, shared.size());
        }
    }

    @Test
    void aTurnStrandedByALostAcknowledgementIsGivenBackWhileItsInstanceLives() throws InterruptedException {
        try (RedisProcess redis = RedisProcess.start();
                TcpProxy proxy = new TcpProxy("127.0.0.1", redis.port()).start();
                JedisPooled pool = pool(proxy)) {
            RedisLookupQueue shared = new RedisLookupQueue(pool, "{" + UUID.randomUUID() + "}:", "redis",
                    Duration.ofSeconds(30), Duration.ofMillis(500));
            QueueMaintenance redisMaintenance = new QueueMaintenance(shared, lookups, RECOVER, RECONCILE, clock,
                    () -> { });
            String id = store(T0, md5(1));
            shared.markFilled();
            shared.enqueue(id);
            LookupQueue.Turn turn = shared.take(Duration.ofMillis(200)).orElseThrow();
            QueuedLookup lookup = shared.start(turn, md5(1), 0);
            shared.take(Duration.ofMillis(200)).orElseThrow(); // the batch's next turn

            proxy.stop();
            assertThrows(RuntimeException.class, () -> shared.pass(turn, false));
            assertThrows(RuntimeException.class, () -> shared.ack(lookup));
            proxy.start();

            assertEquals(2L, eventually(shared::inProgress), "stranded in this live instance's processing set");
            assertFalse(shared.isQueued(id));
            Thread.sleep(700);
            clock.advance(RECOVER);
            eventually(() -> {
                redisMaintenance.maintain();
                return null;
            });

            assertEquals(0, shared.inProgress());
            assertTrue(shared.isQueued(id), "the batch has its place again");
        }
    }

    /** Counts the maintenance calls and lets a test say how many entries a dead instance left. */
    private static final class CountingQueue implements LookupQueue {
        private final EmbeddedLookupQueue delegate;
        final AtomicInteger heartbeats = new AtomicInteger();
        final AtomicInteger recoveries = new AtomicInteger();
        final List<Integer> reconciledPages = new ArrayList<>();
        volatile int recoverable;
        volatile boolean lostEverything;
        final AtomicInteger refillChecks = new AtomicInteger();

        CountingQueue(EmbeddedLookupQueue delegate) {
            this.delegate = delegate;
        }

        @Override
        public void enqueue(String batchId) {
            delegate.enqueue(batchId);
        }

        @Override
        public int reconcile(List<String> batchIds) {
            reconciledPages.add(batchIds.size());
            return delegate.reconcile(batchIds);
        }

        @Override
        public Optional<Turn> take(Duration timeout) throws InterruptedException {
            return delegate.take(timeout);
        }

        @Override
        public QueuedLookup start(Turn turn, String hash, int position) {
            return delegate.start(turn, hash, position);
        }

        @Override
        public void pass(Turn turn, boolean stillOpen) {
            delegate.pass(turn, stillOpen);
        }

        @Override
        public void ack(QueuedLookup entry) {
            delegate.ack(entry);
        }

        @Override
        public void requeue(QueuedLookup entry, boolean atHead) {
            delegate.requeue(entry, atHead);
        }

        @Override
        public boolean tryClaim(String hash, String owner, Duration ttl) {
            return delegate.tryClaim(hash, owner, ttl);
        }

        @Override
        public void release(String hash, String owner) {
            delegate.release(hash, owner);
        }

        @Override
        public void heartbeat() {
            heartbeats.incrementAndGet();
        }

        @Override
        public int recoverAbandoned() {
            recoveries.incrementAndGet();
            int n = recoverable;
            recoverable = 0;
            return n;
        }

        @Override
        public boolean needsRefill() {
            refillChecks.incrementAndGet();
            return lostEverything || delegate.needsRefill();
        }

        @Override
        public void markFilled() {
            lostEverything = false;
            delegate.markFilled();
        }

        @Override
        public long size() {
            return delegate.size();
        }

        @Override
        public boolean isQueued(String batchId) {
            return delegate.isQueued(batchId);
        }

        @Override
        public String describe() {
            return "counting " + delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
