package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.queue.QueuedLookup;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.MutableClock;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueMaintenanceTest {
    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(30);

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
        maintenance = new QueueMaintenance(queue, lookups, INTERVAL, clock, refills::incrementAndGet);
    }

    @AfterEach
    void close() {
        queue.close();
        database.close();
    }

    private static String md5(int i) {
        return "%032x".formatted(i);
    }

    private String store(Instant at, String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.put(h, HashType.of(h).orElseThrow());
        }
        String id = UUID.randomUUID().toString();
        batches.create(id, at, new ExtractedHashes(distinct, hashes.length));
        return id;
    }

    private List<QueuedLookup> drain() throws InterruptedException {
        List<QueuedLookup> taken = new ArrayList<>();
        Optional<QueuedLookup> next;
        while ((next = queue.take(Duration.ZERO)).isPresent()) {
            taken.add(next.get());
        }
        return taken;
    }

    @Test
    void aQueueThatNeedsRefillingIsFilledFromTheDatabaseAndTheListenerIsTold() throws InterruptedException {
        String older = store(T0, md5(1), md5(2), md5(3));
        String newer = store(T0.plusSeconds(1), md5(4), md5(2));
        lookups.saveNotFound(md5(3), T0);

        int added = maintenance.runNow();

        assertEquals(4, added);
        assertEquals(1, refills.get(), "the listener is told once");
        assertFalse(queue.needsRefill());
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put(older, 2L);
        expected.put(newer, 2L);
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(queue.lengths().entrySet()),
                "every batch's open lookups, oldest batch first");
        assertEquals(List.of(new QueuedLookup(older, md5(1)), new QueuedLookup(newer, md5(4)),
                new QueuedLookup(older, md5(2)), new QueuedLookup(newer, md5(2))), drain());
        assertEquals(1, queue.heartbeats.get());
        assertEquals(1, queue.recoveries.get());
    }

    @Test
    void aFilledQueueThatStillHasWorkIsLeftAlone() {
        store(T0, md5(1), md5(2));
        maintenance.runNow();
        clock.advance(INTERVAL);

        assertEquals(0, maintenance.runNow());

        assertEquals(2, queue.size(), "nothing queued twice");
        assertEquals(1, refills.get());
    }

    @Test
    void anEmptyQueueIsRefilledWhileTheDatabaseHasOpenLookups() throws InterruptedException {
        String id = store(T0, md5(1), md5(2));
        queue.markFilled();

        int added = maintenance.runNow();

        assertEquals(2, added);
        assertEquals(0, refills.get(), "not a lost queue: the listener is not told");
        assertEquals(List.of(new QueuedLookup(id, md5(1)), new QueuedLookup(id, md5(2))), drain());
    }

    @Test
    void staleAnswersMarkedForRefreshAreOpenLookups() throws InterruptedException {
        String old = store(T0.minus(Duration.ofDays(10)), md5(1), md5(2));
        lookups.saveNotFound(md5(1), T0.minus(Duration.ofDays(10)));
        lookups.saveNotFound(md5(2), T0.minus(Duration.ofHours(1)));
        String id = store(T0, md5(1), md5(2));
        queue.markFilled();

        assertEquals(2, maintenance.runNow(), "the stale answer, for both batches that hold it; not the fresh one");

        assertEquals(List.of(new QueuedLookup(old, md5(1)), new QueuedLookup(id, md5(1))), drain());
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
    void entriesLeftByADeadInstanceAreCountedAsPutBack() {
        queue.markFilled();
        queue.recoverable = 3;

        assertEquals(3, maintenance.runNow());
    }

    @Test
    void maintainRunsAtMostOncePerInterval() throws InterruptedException {
        String id = store(T0, md5(1));
        queue.markFilled();

        maintenance.maintain();
        assertEquals(List.of(new QueuedLookup(id, md5(1))), drain());

        clock.advance(INTERVAL.minusMillis(1));
        maintenance.maintain();
        assertEquals(0, queue.size(), "too soon: not run again");
        assertEquals(1, queue.heartbeats.get());

        clock.advance(Duration.ofMillis(1));
        maintenance.maintain();
        assertEquals(1, queue.size(), "run again once the interval passed");
        assertEquals(2, queue.heartbeats.get());
    }

    @Test
    void aQueueThatLostItsContentsIsRefilledWithinTheIntervalAfterASecond() throws InterruptedException {
        String id = store(T0, md5(1));
        maintenance.maintain();
        assertEquals(1, refills.get());
        drain();
        queue.lostEverything = true; // a Redis that restarted empty

        clock.advance(Duration.ofMillis(1_000));
        maintenance.maintain();

        assertEquals(2, refills.get(), "refilled without waiting for the interval");
        assertEquals(List.of(new QueuedLookup(id, md5(1))), drain());
    }

    @Test
    void aQueueThatNeedsNoRefillIsNotCheckedAgainWithinTheInterval() {
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
        assertEquals(1, queue.heartbeats.get(), "but no full run before the interval");
    }

    @Test
    void runNowIgnoresTheInterval() {
        store(T0, md5(1));
        queue.markFilled();
        maintenance.maintain();
        queue.close();
        queue.markFilled();

        maintenance.runNow();

        assertEquals(1, queue.size());
        assertTrue(queue.heartbeats.get() >= 2);
    }

    /** Counts the maintenance calls and lets a test say how many entries a dead instance left. */
    private static final class CountingQueue implements LookupQueue {
        private final EmbeddedLookupQueue delegate;
        final AtomicInteger heartbeats = new AtomicInteger();
        final AtomicInteger recoveries = new AtomicInteger();
        volatile int recoverable;
        volatile boolean lostEverything;
        final AtomicInteger refillChecks = new AtomicInteger();

        CountingQueue(EmbeddedLookupQueue delegate) {
            this.delegate = delegate;
        }

        @Override
        public void enqueue(String batchId, List<String> hashes) {
            delegate.enqueue(batchId, hashes);
        }

        @Override
        public Optional<QueuedLookup> take(Duration timeout) throws InterruptedException {
            return delegate.take(timeout);
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
        public Map<String, Long> lengths() {
            return delegate.lengths();
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
