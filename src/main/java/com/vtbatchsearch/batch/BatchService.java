package com.vtbatchsearch.batch;

import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.queue.LookupQueue;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
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
    /** Batches listed at a time by {@link #deleteCreatedBefore}. */
    private static final int EXPIRY_CHUNK = 100;

    private final BatchRepository batches;
    private final LookupQueue queue;
    private final RateLimiter limiter;
    private final Clock clock;
    private final SharedCounts shared;

    /** @param limiter null when no API key is configured (nothing is looked up, no estimate) */
    public BatchService(BatchRepository batches, LookupQueue queue, RateLimiter limiter, Clock clock) {
        this(batches, queue, limiter, clock, System::nanoTime);
    }

    /** With {@code nanos} timing how long counts are shared; tests move it by hand. */
    BatchService(BatchRepository batches, LookupQueue queue, RateLimiter limiter, Clock clock,
            java.util.function.LongSupplier nanos) {
        this.batches = batches;
        this.queue = queue;
        this.limiter = limiter;
        this.clock = clock;
        this.shared = new SharedCounts(batches, nanos);
    }

    /** What a new batch holds. */
    public record Submitted(String id, long found, int unique, int queued) {
    }

    /**
     * A batch with its counts and the items a query asked for, as a report shows it (getter-style for
     * JSP EL).
     */
    public static final class Report {
        private final Batch batch;
        private final BatchCounts counts;
        private final ItemQuery query;
        private final int matched;
        private final List<BatchItem> items;
        private final Progress progress;

        Report(Batch batch, BatchCounts counts, ItemQuery query, int matched, List<BatchItem> items,
                Progress progress) {
            this.batch = batch;
            this.counts = counts;
            this.query = query;
            this.matched = matched;
            this.items = items;
            this.progress = progress;
        }

        /** Where the batch stands in the queue and when it should be done. */
        public Progress getProgress() {
            return progress;
        }

        public Batch getBatch() {
            return batch;
        }

        public BatchCounts getCounts() {
            return counts;
        }

        public ItemQuery getQuery() {
            return query;
        }

        /** How many items match the query's filters; more than {@link #getItems()} holds when paged. */
        public int getMatched() {
            return matched;
        }

        public List<BatchItem> getItems() {
            return items;
        }

        /**
         * Estimated seconds until every lookup of the batch is answered; null when none is pending or no
         * estimate can be made (no API key).
         */
        public Long getEtaSeconds() {
            return isPending() ? progress.getEtaSeconds() : null;
        }

        /** The estimate in words, such as "about 2 h 5 min left"; empty when there is none. */
        public String getEtaText() {
            String text = progress.getEtaText();
            return isPending() && text != null ? text + " left" : "";
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
            shared.forget(batch.getId());
            enqueue(batch.getId(), toLookUp);
            LOG.info(() -> "batch " + batch.getId() + ": refresh requested, " + toLookUp.size() + " lookups queued");
            return toLookUp.size();
        });
    }

    /**
     * How many lookups {@link #refreshStale} would queue for the batch now, so the caller can charge them
     * first; empty for an unknown batch.
     */
    public Optional<Integer> staleLookups(String id) {
        return find(id).map(batch -> batches.countStale(batch.getId(), clock.instant()));
    }

    private void enqueue(String id, List<String> hashes) {
        if (hashes.isEmpty() || limiter == null) {
            // Without a key nothing here looks up: the instances that do (or this one, started with a
            // key) find the batch when they reconcile the queue with the database.
            return;
        }
        // After the commit: should queueing fail, the database still says open and the queue
        // maintenance gives the batch its place when it next reconciles.
        try {
            queue.enqueue(id);
        } catch (RuntimeException e) {
            LOG.warning(() -> "batch " + id + ": could not queue " + hashes.size()
                    + " lookups now (" + e.getMessage() + "); they stay open and are queued when the queue is"
                    + " next reconciled with the database");
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
            long mine = open;
            long others = shared.turnsOfOthers(id, mine);
            Instant now = clock.instant();
            Instant pausedUntil = limiter.pause().map(RateLimiter.Pause::until).orElse(null);
            long eta = Progress.timeFor(others + mine, limiter.perMinute(), limiter.perDay(), limiter.usedToday(),
                    limiter.remainingThisMonth(), now, pausedUntil).toSeconds();
            return new Progress(others + mine, open, eta,
                    pausedUntil == null ? null : pausedUntil.toString());
        } catch (RuntimeException e) {
            return new Progress(open, open, null, null); // the database or the limiter is unreachable: no estimate
        }
    }

    /** How many lookups {@link #submit} would queue for these hashes, as things stand now. */
    public int lookupsNeeded(ExtractedHashes hashes) {
        return batches.countNeedingLookup(hashes.hashes());
    }

    /** The report of a batch with all its items; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id) {
        return report(id, ItemQuery.ALL);
    }

    /** The report of a batch with the items {@code query} selects; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id, ItemQuery query) {
        return find(id).map(batch -> {
            BatchCounts counts = shared.counts(batch);
            List<BatchItem> items = batches.items(batch.getId(), query);
            // Unfiltered, every distinct hash matches: no need to count them again. A page that ends short of its
            // limit (and holds a row, or starts at the first) holds the last match: no count either.
            int matched = query.text() == null ? matched(counts, query)
                    : !query.isPaged() ? items.size()
                    : items.size() < query.limit() && (query.offset() == 0 || !items.isEmpty())
                            ? query.offset() + items.size() : batches.countItems(batch.getId(), query);
            return new Report(batch, counts, query, matched, items, progress(batch.getId(), counts.getPending()));
        });
    }

    /**
     * How many items a query without text matches, from the batch's shared counts: each verdict a filter
     * selects is counted there in the same terms, so a filtered page does not count the batch again.
     */
    private static int matched(BatchCounts counts, ItemQuery query) {
        if (query.verdict() == null) {
            return counts.getUnique();
        }
        return switch (query.verdict()) {
            case MALICIOUS -> counts.getMalicious();
            case SUSPICIOUS -> counts.getSuspicious();
            case CLEAN -> counts.getClean();
            case NOT_FOUND -> counts.getNotFound();
            case ERROR -> counts.getErrors();
            case PENDING -> counts.getPending();
        };
    }

    /**
     * The report of a batch without its items, which the caller reads through {@link #export}; empty for
     * an id that is malformed or unknown.
     */
    public Optional<Report> summary(String id, ItemQuery query) {
        return find(id).map(batch -> {
            BatchCounts counts = shared.counts(batch);
            int matched = query.text() == null ? matched(counts, query) : batches.countItems(batch.getId(), query);
            return new Report(batch, counts, query, matched, List.of(), progress(batch.getId(), counts.getPending()));
        });
    }

    /** Writes every item the query selects to {@code consumer} as it is read; false for an unknown batch. */
    public boolean export(String id, ItemQuery query, java.util.function.Consumer<BatchItem> consumer) {
        Optional<Batch> batch = find(id);
        batch.ifPresent(b -> batches.forEachItem(b.getId(), query, consumer));
        return batch.isPresent();
    }

    /**
     * The engines that flagged one hash of a batch and the names the file is known by; empty when the
     * batch is unknown or does not hold the hash.
     */
    public Optional<FileDetails> details(String id, String hash) {
        String normalized = hash == null ? null : hash.toLowerCase(java.util.Locale.ROOT);
        if (HashType.of(normalized).isEmpty()) {
            return Optional.empty();
        }
        return find(id).flatMap(batch -> batches.details(batch.getId(), normalized))
                .map(d -> FileDetails.fromRawJson(d.hash(), d.status(), d.rawJson()));
    }

    /**
     * Deletes a batch and its items; the cached answers stay. Its queue entries are left to the
     * workers, which find nothing open for them and move on.
     *
     * @return false for an id that is malformed or unknown
     */
    public boolean delete(String id) {
        boolean deleted = find(id).isPresent() && batches.delete(id);
        if (deleted) {
            shared.forget(id);
            LOG.info(() -> "batch " + id + " deleted");
        }
        return deleted;
    }

    /** Deletes the batches created before {@code cutoff}, each in a transaction of its own; returns how many. */
    public int deleteCreatedBefore(Instant cutoff) {
        int deleted = 0;
        while (true) {
            List<String> ids = batches.createdBefore(cutoff, EXPIRY_CHUNK);
            for (String id : ids) {
                if (batches.delete(id)) {
                    deleted++;
                }
            }
            if (ids.size() < EXPIRY_CHUNK) {
                return deleted;
            }
        }
    }

    public Optional<Batch> find(String id) {
        if (id == null || !CANONICAL_UUID.matcher(id).matches()) {
            return Optional.empty();
        }
        return batches.find(id);
    }
}
