package com.vtbatchsearch.batch;

import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.store.BatchRepository;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Turns extracted hashes into a stored batch and queues the lookups it needs; reads batches back
 * for reports. Hashes already answered or already pending cost no new lookup.
 */
public final class BatchService {
    private static final Logger LOG = Logger.getLogger(BatchService.class.getName());
    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final BatchRepository batches;
    private final LookupQueue queue;
    private final RateLimiter limiter;
    private final Clock clock;

    /** @param limiter null when no API key is configured (nothing is looked up, no estimate) */
    public BatchService(BatchRepository batches, LookupQueue queue, RateLimiter limiter, Clock clock) {
        this.batches = batches;
        this.queue = queue;
        this.limiter = limiter;
        this.clock = clock;
    }

    /** What a new batch holds. */
    public record Submitted(String id, long found, int unique, int queued) {
    }

    /** A batch with its counts and items, as a report shows it (getter-style for JSP EL). */
    public static final class Report {
        private final Batch batch;
        private final BatchCounts counts;
        private final List<BatchItem> items;
        private final Progress progress;

        Report(Batch batch, BatchCounts counts, List<BatchItem> items, Progress progress) {
            this.batch = batch;
            this.counts = counts;
            this.items = items;
            this.progress = progress;
        }

        public Progress getProgress() {
            return progress;
        }

        public Batch getBatch() {
            return batch;
        }

        public BatchCounts getCounts() {
            return counts;
        }

        public List<BatchItem> getItems() {
            return items;
        }

        public boolean isPending() {
            return counts.getPending() > 0;
        }
    }

    public Submitted submit(ExtractedHashes hashes) {
        String id = UUID.randomUUID().toString();
        List<String> toLookUp = batches.create(id, clock.instant(), hashes);
        enqueue(id, toLookUp);
        LOG.info(() -> "batch " + id + ": " + hashes.found() + " hashes found, " + hashes.unique() + " distinct, "
                + toLookUp.size() + " queued for lookup");
        return new Submitted(id, hashes.found(), hashes.unique(), toLookUp.size());
    }

    /**
     * Looks up again the batch's answers that are older than their time to live; the old answers show
     * meanwhile. Empty for an unknown batch; otherwise how many lookups are now queued for it.
     */
    public Optional<Integer> refreshStale(String id) {
        return find(id).map(batch -> {
            List<String> toLookUp = batches.requestRefresh(batch.getId(), clock.instant());
            enqueue(batch.getId(), toLookUp);
            LOG.info(() -> "batch " + batch.getId() + ": refresh requested, " + toLookUp.size() + " lookups queued");
            return toLookUp.size();
        });
    }

    private void enqueue(String id, List<String> hashes) {
        // After the commit: should queueing fail, the database still says open and the queue
        // maintenance puts them back.
        try {
            queue.enqueue(id, hashes);
        } catch (RuntimeException e) {
            LOG.warning(() -> "batch " + id + ": could not queue " + hashes.size()
                    + " lookups now (" + e.getMessage() + "); they stay open and are queued on refill");
        }
    }

    /** Where the batch stands in the queue and when it should be done. */
    public Progress progress(String id, int open) {
        if (open == 0) {
            return new Progress(0, 0, 0L, null);
        }
        if (limiter == null) {
            return new Progress(open, open, null, null);
        }
        try {
            Map<String, Long> lengths = queue.lengths();
            long mine = Math.max(lengths.getOrDefault(id, 0L), open);
            long others = lengths.entrySet().stream()
                    .filter(e -> !e.getKey().equals(id))
                    .mapToLong(e -> Math.min(e.getValue(), mine))
                    .sum();
            Instant now = clock.instant();
            Instant pausedUntil = limiter.pause().map(RateLimiter.Pause::until).orElse(null);
            long eta = Progress.timeFor(others + mine, limiter.perMinute(), limiter.perDay(), limiter.usedToday(),
                    now, pausedUntil).toSeconds();
            return new Progress(others + mine, open, eta,
                    pausedUntil == null ? null : pausedUntil.toString());
        } catch (RuntimeException e) {
            return new Progress(open, open, null, null); // the queue is unreachable: no estimate
        }
    }

    /** The report of a batch; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id) {
        return find(id).map(batch -> {
            BatchCounts counts = batches.counts(batch);
            return new Report(batch, counts, batches.items(batch.getId()), progress(batch.getId(), counts.getPending()));
        });
    }

    public Optional<Batch> find(String id) {
        if (id == null || !CANONICAL_UUID.matcher(id).matches()) {
            return Optional.empty();
        }
        return batches.find(id);
    }
}
