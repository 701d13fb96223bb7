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

    public BatchService(BatchRepository batches, LookupQueue queue, Clock clock) {
        this.batches = batches;
        this.queue = queue;
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

        Report(Batch batch, BatchCounts counts, List<BatchItem> items) {
            this.batch = batch;
            this.counts = counts;
            this.items = items;
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

    /** How many lookups {@link #submit} would queue for these hashes, as things stand now. */
    public int lookupsNeeded(ExtractedHashes hashes) {
        return batches.countNeedingLookup(hashes.hashes());
    }

    /** The report of a batch; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id) {
        return find(id).map(batch -> new Report(batch, batches.counts(batch), batches.items(batch.getId())));
    }

    public Optional<Batch> find(String id) {
        if (id == null || !CANONICAL_UUID.matcher(id).matches()) {
            return Optional.empty();
        }
        return batches.find(id);
    }
}
