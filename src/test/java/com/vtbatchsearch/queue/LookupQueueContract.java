package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.vtbatchsearch.queue.LookupQueue.Turn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link LookupQueue} must do: one place per batch in a rotation served in turns, each
 * batch's cursor, requeue at the head or tail, and claims. A batch's open lookups are played here by
 * positions 0..n-1 (the database's part). Subclasses name the queue under test; not run by itself (the
 * name does not end in Test).
 */
abstract class LookupQueueContract {
    static final String A = "d41d8cd98f00b204e9800998ecf8427e";
    static final String B = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    static final String X = "batch-x";
    static final String Y = "batch-y";
    static final String Z = "batch-z";

    /** The queue under test, empty. */
    abstract LookupQueue queue();

    static String hex(int i) {
        return "%032x".formatted(i);
    }

    static Turn take(LookupQueue q) throws InterruptedException {
        return q.take(Duration.ofMillis(200)).orElseThrow(() -> new AssertionError("no turn"));
    }

    /**
     * Serves turns as a worker does, for batches whose open lookups are positions 0 to size-1 (none
     * answered meanwhile): the position after the cursor, or the batch leaves. Returns the lookups started.
     */
    static List<QueuedLookup> serve(LookupQueue q, Map<String, Integer> sizes, int turns) throws InterruptedException {
        List<QueuedLookup> started = new ArrayList<>();
        for (int i = 0; i < turns; i++) {
            Optional<Turn> next = q.take(Duration.ofMillis(20));
            if (next.isEmpty()) {
                break;
            }
            Turn turn = next.get();
            int position = turn.after() + 1;
            if (position < sizes.get(turn.batchId())) {
                QueuedLookup entry = q.start(turn, hex(position), position);
                started.add(entry);
                q.ack(entry);
            } else {
                q.pass(turn, false);
            }
        }
        return started;
    }

    static List<String> batches(List<QueuedLookup> entries) {
        return entries.stream().map(QueuedLookup::batchId).toList();
    }

    @Test
    void batchesTakeTurnsInTheOrderTheyWereQueued() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        queue.enqueue(Y);
        queue.enqueue(Z);

        List<QueuedLookup> served = serve(queue, Map.of(X, 3, Y, 1, Z, 2), 100);

        assertEquals(List.of(X, Y, Z, X, Z, X), batches(served));
        assertEquals(List.of(0, 0, 0, 1, 1, 2), served.stream().map(QueuedLookup::position).toList());
        assertEquals(0, queue.size(), "every batch left once it had nothing open");
    }

    @Test
    void aBatchHoldsOnePlaceHoweverOftenItIsQueued() throws InterruptedException {
        LookupQueue queue = queue();
        for (int i = 0; i < 30; i++) {
            queue.enqueue(X);
            queue.enqueue(Y);
        }

        assertEquals(2, queue.size());
        assertTrue(queue.isQueued(X));
        assertEquals(List.of(X, Y, X, Y), batches(serve(queue, Map.of(X, 2, Y, 2), 100)));
    }

    @Test
    void aSmallBatchQueuedAfterALargeOneIsServedWithinItsFirstTurns() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        serve(queue, Map.of(X, 5_000), 1); // the large batch is already being worked on
        queue.enqueue(Y);

        List<QueuedLookup> first = serve(queue, Map.of(X, 5_000, Y, 10), 21);

        List<QueuedLookup> small = first.stream().filter(e -> e.batchId().equals(Y)).toList();
        assertEquals(10, small.size(), "all of the small batch within 21 turns: " + first);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), small.stream().map(QueuedLookup::position).toList());
        List<Integer> large = first.stream().filter(e -> e.batchId().equals(X)).map(QueuedLookup::position).toList();
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), large, "the large batch keeps its order");
        assertEquals(2, queue.size(), "the small batch leaves at its next turn, finding nothing open");
    }

    @Test
    void startPutsTheBatchBackAtOnceSoAnotherWorkerCanServeItsNextLookup() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        Turn first = take(queue);
        assertEquals(new Turn(X, -1), first);
        assertEquals(0, queue.size(), "a turn in progress holds the batch's place");
        assertEquals(Optional.empty(), queue.take(Duration.ofMillis(20)));

        QueuedLookup lookup = queue.start(first, A, 0);

        assertEquals(new QueuedLookup(X, A, 0), lookup);
        assertEquals(new Turn(X, 0), take(queue), "the next turn starts after the lookup in progress");
    }

    @Test
    void passWithLookupsInOtherHandsKeepsThePlaceAndStartsOverWithoutThemLeaves() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        queue.start(take(queue), A, 4);
        Turn second = take(queue);
        assertEquals(new Turn(X, 4), second);

        queue.pass(second, true);

        assertTrue(queue.isQueued(X));
        Turn third = take(queue);
        assertEquals(new Turn(X, -1), third, "the next turn looks from the start again");
        queue.pass(third, false);
        assertFalse(queue.isQueued(X));
        assertEquals(0, queue.size());
    }

    @Test
    void requeueAtTheHeadHasTheBatchsNextTurnPickTheLookupAgain() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        QueuedLookup lookup = queue.start(take(queue), A, 3);

        queue.requeue(lookup, true);

        assertEquals(new Turn(X, 2), take(queue));
        assertEquals(0, queue.size(), "still one place");
    }

    @Test
    void requeueAtTheTailLeavesTheLookupAfterTheBatchsOthers() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        QueuedLookup lookup = queue.start(take(queue), A, 3);

        queue.requeue(lookup, false);

        assertEquals(new Turn(X, 3), take(queue));
    }

    @Test
    void requeueGivesABatchThatLeftMeanwhileItsPlaceBack() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        queue.enqueue(Y);
        QueuedLookup lookup = queue.start(take(queue), A, 0); // X back at the tail
        queue.pass(take(queue), false); // Y has nothing open
        queue.pass(take(queue), false); // nor X, but for the lookup in progress
        assertEquals(0, queue.size());

        queue.requeue(lookup, false); // the lookup failed: X still needs it

        assertEquals(X, take(queue).batchId());
    }

    @Test
    void enqueueStartsTheBatchsNextTurnFromTheStart() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        queue.start(take(queue), A, 7);

        queue.enqueue(X); // a refresh opened lookups before the cursor

        assertEquals(1, queue.size());
        assertEquals(new Turn(X, -1), take(queue));
    }

    @Test
    void reconcileAddsTheBatchesWithoutAPlaceAndKeepsTheOthersCursors() throws InterruptedException {
        LookupQueue queue = queue();
        queue.enqueue(X);
        queue.start(take(queue), A, 7);

        assertEquals(2, queue.reconcile(List.of(X, Y, Z, Y)));

        assertEquals(3, queue.size());
        assertEquals(new Turn(X, 7), take(queue));
        assertEquals(new Turn(Y, -1), take(queue));
        assertEquals(new Turn(Z, -1), take(queue));
        assertEquals(0, queue.reconcile(List.of()));
    }

    @Test
    void addingManyBatchesKeepsTheirOrder() throws InterruptedException {
        LookupQueue queue = queue();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            ids.add("batch-" + i);
        }

        assertEquals(1_200, queue.reconcile(ids));

        assertEquals(1_200, queue.size());
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            Turn turn = take(queue);
            taken.add(turn.batchId());
            queue.pass(turn, false);
        }
        assertEquals(ids, taken);
    }

    @Test
    void takeOnAnEmptyQueueReturnsEmptyAfterTheTimeout() throws InterruptedException {
        LookupQueue queue = queue();
        long begin = System.nanoTime();

        Optional<Turn> taken = queue.take(Duration.ofMillis(300));

        long millis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertEquals(Optional.empty(), taken);
        assertTrue(millis >= 250, "returned after " + millis + " ms, before the timeout");
        assertTrue(millis < 2_000, "returned after " + millis + " ms, long after the timeout");
    }

    @Test
    void takeWaitsForABatchQueuedMeanwhile() throws Exception {
        LookupQueue queue = queue();
        Thread producer = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            queue.enqueue(Y);
        });
        producer.start();

        Optional<Turn> taken = queue.take(Duration.ofSeconds(5));

        producer.join();
        assertEquals(Optional.of(new Turn(Y, -1)), taken);
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
    void concurrentWorkersStartEachLookupExactlyOnce() throws Exception {
        LookupQueue queue = queue();
        Map<String, Integer> sizes = Map.of(X, 150, Y, 150, Z, 150);
        sizes.keySet().forEach(queue::enqueue);
        List<QueuedLookup> started = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                futures.add(pool.submit(() -> {
                    started.addAll(serve(queue, sizes, Integer.MAX_VALUE));
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(450, started.size(), "a lookup was skipped or started twice");
        assertEquals(450, new HashSet<>(started).size());
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
