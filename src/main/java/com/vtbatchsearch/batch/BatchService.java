package com.vtbatchsearch.batch;

import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.store.BatchRepository;
import java.time.Clock;
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

    private final BatchRepository batches;
    private final LookupQueue queue;
    private final Clock clock;
    private final int requestsPerMinute;

    /** @param requestsPerMinute the lookup rate the worker keeps to, for the estimate of time left */
    public BatchService(BatchRepository batches, LookupQueue queue, Clock clock, int requestsPerMinute) {
        this.batches = batches;
        this.queue = queue;
        this.clock = clock;
        this.requestsPerMinute = requestsPerMinute;
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
        private final Long etaSeconds;

        Report(Batch batch, BatchCounts counts, ItemQuery query, int matched, List<BatchItem> items, Long etaSeconds) {
            this.batch = batch;
            this.counts = counts;
            this.query = query;
            this.matched = matched;
            this.items = items;
            this.etaSeconds = etaSeconds;
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

        /** Estimated seconds until every lookup of the batch is answered; null when none is pending. */
        public Long getEtaSeconds() {
            return etaSeconds;
        }

        /** The estimate in words, such as "about 2 h 5 min left"; empty when none is pending. */
        public String getEtaText() {
            if (etaSeconds == null) {
                return "";
            }
            long minutes = (etaSeconds + 59) / 60;
            if (minutes <= 1) {
                return "less than a minute left";
            }
            return minutes < 60 ? "about " + minutes + " min left"
                    : "about " + minutes / 60 + " h " + minutes % 60 + " min left";
        }

        public boolean isPending() {
            return counts.getPending() > 0;
        }
    }

    public Submitted submit(ExtractedHashes hashes) {
        String id = UUID.randomUUID().toString();
        List<String> toLookUp = batches.create(id, clock.instant(), hashes);
        // After the commit: should queueing fail, the database still says pending and the worker's
        // refill puts them in the queue.
        try {
            queue.addAll(toLookUp);
        } catch (RuntimeException e) {
            LOG.warning(() -> "batch " + id + ": could not queue " + toLookUp.size()
                    + " lookups now (" + e.getMessage() + "); they stay pending and are queued on refill");
        }
        LOG.info(() -> "batch " + id + ": " + hashes.found() + " hashes found, " + hashes.unique() + " distinct, "
                + toLookUp.size() + " queued for lookup");
        return new Submitted(id, hashes.found(), hashes.unique(), toLookUp.size());
    }

    /** The report of a batch with all its items; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id) {
        return report(id, ItemQuery.ALL);
    }

    /** The report of a batch with the items {@code query} selects; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id, ItemQuery query) {
        return find(id).map(batch -> {
            BatchCounts counts = batches.counts(batch);
            List<BatchItem> items = batches.items(batch.getId(), query);
            // Unfiltered, every distinct hash matches: no need to count them again.
            int matched = query.verdict() == null && query.text() == null ? counts.getUnique()
                    : query.isPaged() ? batches.countItems(batch.getId(), query) : items.size();
            return new Report(batch, counts, query, matched, items, etaSeconds(counts));
        });
    }

    /**
     * The report of a batch without its items, which the caller reads through {@link #export}; empty for
     * an id that is malformed or unknown.
     */
    public Optional<Report> summary(String id, ItemQuery query) {
        return find(id).map(batch -> {
            BatchCounts counts = batches.counts(batch);
            int matched = query.verdict() == null && query.text() == null ? counts.getUnique()
                    : batches.countItems(batch.getId(), query);
            return new Report(batch, counts, query, matched, List.of(), etaSeconds(counts));
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
     * Seconds until the batch's pending lookups are answered, at the configured rate and as if they were
     * first in the queue; null when none is pending.
     */
    Long etaSeconds(BatchCounts counts) {
        if (counts.getPending() == 0) {
            return null;
        }
        return (long) Math.ceil(counts.getPending() * 60.0 / requestsPerMinute);
    }

    public Optional<Batch> find(String id) {
        if (id == null || !CANONICAL_UUID.matcher(id).matches()) {
            return Optional.empty();
        }
        return batches.find(id);
    }
}
