package com.vtbatchsearch.batch;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The counts of each batch and the open lookups of every batch, counted at most once per interval and
 * shared by every reader of this instance, so a report poll costs the same for 100,000 hashes as for 100.
 * Each count is one SQL statement, so what a reader sees was true of the batch at one recent instant
 * (a statement sees one snapshot on SQLite and on PostgreSQL); a batch's status derives from the same
 * count, so it turns done together with its last item. While one reader recounts, the others are given the
 * last count rather than waiting or counting too. The interval grows with what a count costs (at least
 * {@link #MIN_INTERVAL_NANOS}, at most {@link #MAX_INTERVAL_NANOS}), so the counting of one watched batch
 * takes a bounded share of the machine whatever its size.
 */
final class SharedCounts {
    static final long MIN_INTERVAL_NANOS = 1_000_000_000L;
    static final long MAX_INTERVAL_NANOS = 5_000_000_000L;
    /** A done batch changes only when a refresh or a new upload reopens it: counted less often. */
    static final long DONE_INTERVAL_NANOS = 10_000_000_000L;
    /** How many times a count's own duration must pass before the next one. */
    private static final long COST_FACTOR = 5;
    /** Batches remembered; past that the oldest counts are forgotten (counted again when read). */
    private static final int MAX_BATCHES = 10_000;

    private final BatchRepository batches;
    private final LongSupplier nanos;
    private final Map<String, Slot<BatchCounts>> counts = new ConcurrentHashMap<>();
    private final Slot<Map<String, Long>> openPerBatch = new Slot<>();

    SharedCounts(BatchRepository batches, LongSupplier nanos) {
        this.batches = batches;
        this.nanos = nanos;
    }

    /** The batch's counts as of at most about a second ago (longer for a huge batch or a done one). */
    BatchCounts counts(Batch batch) {
        if (counts.size() > MAX_BATCHES) {
            long now = nanos.getAsLong();
            counts.values().removeIf(slot -> now - slot.countedAt > DONE_INTERVAL_NANOS);
        }
        Slot<BatchCounts> slot = counts.computeIfAbsent(batch.getId(), id -> new Slot<>());
        return slot.get(() -> batches.counts(batch),
                c -> c.getPending() == 0 && c.getRefreshing() == 0 ? DONE_INTERVAL_NANOS : MIN_INTERVAL_NANOS);
    }

    /** Drops the batch's count: this instance just changed what it holds (a refresh, a deletion). */
    void forget(String id) {
        counts.remove(id);
    }

    /**
     * The turns the other batches with open lookups take while this batch's {@code cap} open lookups are
     * made (see {@link BatchRepository#turnsOfOthers}), from one count of every batch's open lookups shared
     * by all batches' readers.
     */
    long turnsOfOthers(String id, long cap) {
        Map<String, Long> open = openPerBatch.get(batches::openPerBatch, m -> MIN_INTERVAL_NANOS);
        long turns = 0;
        for (Map.Entry<String, Long> entry : open.entrySet()) {
            if (!entry.getKey().equals(id)) {
                turns += Math.min(entry.getValue(), cap);
            }
        }
        return turns;
    }

    /** One shared value, counted again by one reader at a time once its interval has passed. */
    private final class Slot<T> {
        private final ReentrantLock lock = new ReentrantLock();
        private volatile T value;
        private volatile long countedAt;
        private volatile long interval;

        T get(java.util.function.Supplier<T> count, java.util.function.ToLongFunction<T> baseInterval) {
            T last = value;
            if (last != null && nanos.getAsLong() - countedAt < interval) {
                return last;
            }
            if (last != null && !lock.tryLock()) {
                return last; // another reader is counting: share the last count meanwhile
            }
            if (last == null) {
                lock.lock();
            }
            try {
                if (value != last && value != null) {
                    return value; // counted by the reader this one waited for
                }
                long start = nanos.getAsLong();
                T counted = count.get();
                long end = nanos.getAsLong();
                interval = Math.max(baseInterval.applyAsLong(counted),
                        Math.min(MAX_INTERVAL_NANOS, COST_FACTOR * (end - start)));
                countedAt = end;
                value = counted;
                return counted;
            } finally {
                lock.unlock();
            }
        }
    }
}
