package com.vtbatchsearch.batch;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A batch's facets, counted at most once per interval per batch and shared by every reader of this
 * instance (like {@link SharedCounts}): the interval grows with what counting cost, so a 100,000-hash
 * batch's facets take a bounded share of the machine however often its page is read. Bounded to
 * {@link #MAX_BATCHES} batches.
 */
final class FacetCache {
    static final long MIN_INTERVAL_NANOS = 5_000_000_000L;
    static final long MAX_INTERVAL_NANOS = 60_000_000_000L;
    private static final long COST_FACTOR = 20;
    private static final int MAX_BATCHES = 1_000;

    private record Entry(Map<String, List<BatchRepository.FacetValue>> facets, long countedAt, long interval) {
    }

    private final LongSupplier nanos;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    FacetCache(LongSupplier nanos) {
        this.nanos = nanos;
    }

    Map<String, List<BatchRepository.FacetValue>> get(Batch batch,
            Supplier<Map<String, List<BatchRepository.FacetValue>>> count) {
        long now = nanos.getAsLong();
        Entry entry = entries.get(batch.getId());
        if (entry != null && now - entry.countedAt() < entry.interval()) {
            return entry.facets();
        }
        if (entries.size() >= MAX_BATCHES) {
            entries.values().removeIf(e -> now - e.countedAt() >= e.interval());
            if (entries.size() >= MAX_BATCHES) {
                entries.clear();
            }
        }
        long start = nanos.getAsLong();
        Map<String, List<BatchRepository.FacetValue>> counted = count.get();
        long end = nanos.getAsLong();
        long interval = Math.max(MIN_INTERVAL_NANOS, Math.min(MAX_INTERVAL_NANOS, COST_FACTOR * (end - start)));
        entries.put(batch.getId(), new Entry(counted, end, interval));
        return counted;
    }

    void forget(String id) {
        entries.remove(id);
    }
}
