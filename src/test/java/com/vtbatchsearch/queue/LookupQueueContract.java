package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What every {@link LookupQueue} must do: per-batch lines served in turns, FIFO within a line, requeue
 * at the head or tail, and claims. Subclasses name the queue under test; not run by itself (the name
 * does not end in Test).
 */
abstract class LookupQueueContract {
    static final String A = "d41d8cd98f00b204e9800998ecf8427e";
    static final String B = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    static final String C = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final String D = "0cc175b9c0f1b6a831c399e269772661";
    static final String X = "batch-x";
    static final String Y = "batch-y";
    static final String Z = "batch-z";

    /** The queue under test, empty. */
    abstract LookupQueue queue();

    static List<QueuedLookup> drain(LookupQueue q) throws InterruptedException {
        List<QueuedLookup> taken = new ArrayList<>();
        Optional<QueuedLookup> next;
        while ((next = q.take(Duration.ofMillis(20))).isPresent()) {
            taken.add(next.get());
            q.ack(next.get());
        }
        return taken;
    }

    static List<QueuedLookup> entries(String batchId, String... hashes) {
        return List.of(hashes).stream().map(h -> new QueuedLookup(batchId, h)).toList();
    }

    static String hex(int i) {
        return "%032x".formatted(i);
    }

    @Test
    void oneBatchIsServedInTheOrderItsHashesWereAdded() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X, List.of(A, B));
        queue.enqueue(X, List.of(C));

        assertEquals(entries(X, A, B, C), drain(queue));
    }

    @Test
    void batchesTakeTurns() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X, List.of(A, B, C));
        queue.enqueue(Y, List.of(D));
        queue.enqueue(Z, List.of(A, B));

        assertEquals(List.of(new QueuedLookup(X, A), new QueuedLookup(Y, D), new QueuedLookup(Z, A),
                new QueuedLookup(X, B), new QueuedLookup(Z, B), new QueuedLookup(X, C)), drain(queue));
    }

    @Test
    void aSmallBatchAddedAfterALargeOneIsServedWithinItsFirstTurns() throws InterruptedException {
        LookupQueue queue = queue();
        List<String> large = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            large.add(hex(i));
        }
        List<String> small = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            small.add(hex(5_000 + i));
        }
        queue.enqueue(X, large);
        queue.take(Duration.ofMillis(100)).ifPresent(queue::ack); // the large batch is already being worked on
        queue.enqueue(Y, small);

        List<QueuedLookup> first = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            QueuedLookup entry = queue.take(Duration.ofMillis(100)).orElseThrow();
            queue.ack(entry);
            first.add(entry);
        }

        List<String> smallServed = first.stream().filter(e -> e.batchId().equals(Y)).map(QueuedLookup::hash).toList();
        assertEquals(small, smallServed, "all of the small batch, in order, within 21 takes: " + first);
        List<String> largeServed = first.stream().filter(e -> e.batchId().equals(X)).map(QueuedLookup::hash).toList();
        assertEquals(large.subList(1, 12), largeServed, "the large batch keeps its order");
        assertEquals(Map.of(X, 988L), queue.lengths());
        assertEquals(988, queue.size());
    }

    @Test
    void requeueAtTheHeadServesTheEntryNextInItsLine() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X, List.of(A, B, C));
        QueuedLookup taken = queue.take(Duration.ofMillis(100)).orElseThrow();

        queue.requeue(taken, true);

        assertEquals(entries(X, A, B, C), drain(queue));
    }

    @Test
    void requeueAtTheTailServesTheEntryLastInItsLine() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X, List.of(A, B, C));
        QueuedLookup taken = queue.take(Duration.ofMillis(100)).orElseThrow();

        queue.requeue(taken, false);

        assertEquals(entries(X, B, C, A), drain(queue));
    }

    @Test
    void requeueOfTheLastEntryOfABatchPutsTheBatchBackInTheRotation() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X, List.of(A));
        queue.enqueue(Y, List.of(B, C));
        QueuedLookup taken = queue.take(Duration.ofMillis(100)).orElseThrow();
        assertEquals(new QueuedLookup(X, A), taken);
        assertEquals(List.of(Y), List.copyOf(queue.lengths().keySet()), "X has nothing waiting");

        queue.requeue(taken, false);

        assertEquals(List.of(new QueuedLookup(Y, B), new QueuedLookup(X, A), new QueuedLookup(Y, C)), drain(queue));
    }

    @Test
    void lengthsArePerBatchInTurnOrder() throws InterruptedException {
        LookupQueue queue = queue();
        assertEquals(Map.of(), queue.lengths());
        queue.enqueue(X, List.of(A, B, C));
        queue.enqueue(Y, List.of(D));

        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put(X, 3L);
        expected.put(Y, 1L);
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(queue.lengths().entrySet()));
        assertEquals(4, queue.size());

        queue.ack(queue.take(Duration.ofMillis(100)).orElseThrow()); // X served: Y's turn is next

        expected = new LinkedHashMap<>();
        expected.put(Y, 1L);
        expected.put(X, 2L);
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(queue.lengths().entrySet()));
        assertEquals(3, queue.size());
    }

    @Test
    void addingNothingIsANoOp() {
        LookupQueue queue = queue();
        queue.enqueue(X, List.of());

        assertEquals(0, queue.size());
        assertEquals(Map.of(), queue.lengths());
    }

    @Test
    void largeAdditionsKeepTheirOrder() throws InterruptedException {
        LookupQueue queue = queue();
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            many.add(hex(i));
        }

        queue.enqueue(X, many);

        assertEquals(2_500, queue.size());
        assertEquals(many, drain(queue).stream().map(QueuedLookup::hash).toList());
    }

    @Test
    void takeOnAnEmptyQueueReturnsEmptyAfterTheTimeout() throws InterruptedException {
        LookupQueue queue = queue();
        long begin = System.nanoTime();

        Optional<QueuedLookup> taken = queue.take(Duration.ofMillis(300));

        long millis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertEquals(Optional.empty(), taken);
        assertTrue(millis >= 250, "returned after " + millis + " ms, before the timeout");
        assertTrue(millis < 2_000, "returned after " + millis + " ms, long after the timeout");
    }

    @Test
    void takeWaitsForAnEntryAddedMeanwhile() throws Exception {
        LookupQueue queue = queue();
        Thread producer = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            queue.enqueue(Y, List.of(D));
        });
        producer.start();

        Optional<QueuedLookup> taken = queue.take(Duration.ofSeconds(5));

        producer.join();
        assertEquals(Optional.of(new QueuedLookup(Y, D)), taken);
    }

    @Test
    void waitingTakeOnAnInterruptedThreadThrows() {
        LookupQueue queue = queue();
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedException.class, () -> queue.take(Duration.ofSeconds(5)));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void concurrentTakesServeEachEntryExactlyOnce() throws Exception {
        LookupQueue queue = queue();
        List<QueuedLookup> expected = new ArrayList<>();
        for (String batch : List.of(X, Y, Z)) {
            List<String> hashes = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                hashes.add(hex(i));
                expected.add(new QueuedLookup(batch, hex(i)));
            }
            queue.enqueue(batch, hashes);
        }
        List<QueuedLookup> taken = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                futures.add(pool.submit(() -> {
                    Optional<QueuedLookup> next;
                    while ((next = queue.take(Duration.ofMillis(50))).isPresent()) {
                        taken.add(next.get());
                        queue.ack(next.get());
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : futures) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(expected.size(), taken.size(), "an entry was lost or served twice");
        assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(taken));
        assertEquals(0, queue.size());
    }

    @Test
    void aClaimedHashIsRefusedToAnotherOwnerUntilReleased() {
        LookupQueue queue = queue();
        Duration ttl = Duration.ofSeconds(30);

        assertTrue(queue.tryClaim(A, "w1", ttl));
        assertFalse(queue.tryClaim(A, "w2", ttl), "another owner is refused");
        assertTrue(queue.tryClaim(B, "w2", ttl), "other hashes are free");
        assertTrue(queue.tryClaim(A, "w1", ttl), "the owner renews its claim");

        queue.release(A, "w2"); // not the owner: no effect
        assertFalse(queue.tryClaim(A, "w2", ttl));

        queue.release(A, "w1");
        assertTrue(queue.tryClaim(A, "w2", ttl), "free after the owner released it");
        assertFalse(queue.tryClaim(A, "w1", ttl));
    }

    @Test
    void aClaimEndsWhenItsTtlExpires() throws InterruptedException {
        LookupQueue queue = queue();
        assertTrue(queue.tryClaim(A, "w1", Duration.ofMillis(300)));
        assertFalse(queue.tryClaim(A, "w2", Duration.ofSeconds(30)), "refused while the claim lasts");

        long begin = System.nanoTime();
        long deadline = begin + Duration.ofSeconds(5).toNanos();
        while (!queue.tryClaim(A, "w2", Duration.ofSeconds(30))) {
            if (System.nanoTime() > deadline) {
                fail("the claim did not expire");
            }
            Thread.sleep(10);
        }
        long millis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertTrue(millis >= 200, "the claim ended after " + millis + " ms, before its TTL");
    }

    @Test
    void aRenewedClaimLastsTheNewTtl() throws InterruptedException {
        LookupQueue queue = queue();
        assertTrue(queue.tryClaim(A, "w1", Duration.ofMillis(200)));
        assertTrue(queue.tryClaim(A, "w1", Duration.ofSeconds(30)));

        Thread.sleep(400);

        assertFalse(queue.tryClaim(A, "w2", Duration.ofSeconds(30)), "the renewed claim still holds");
    }

    @Test
    void needsRefillUntilMarkedFilled() {
        LookupQueue queue = queue();
        assertTrue(queue.needsRefill(), "a new queue cannot vouch for its contents");

        queue.markFilled();

        assertFalse(queue.needsRefill());
    }
}
