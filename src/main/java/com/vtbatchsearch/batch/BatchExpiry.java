package com.vtbatchsearch.batch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * Deletes the batches older than the retention period ({@code BATCH_RETENTION_DAYS}), run on a schedule.
 * It never throws: a database that does not answer is logged and tried again at the next run.
 */
public final class BatchExpiry implements Runnable {
    private static final Logger LOG = Logger.getLogger(BatchExpiry.class.getName());

    private final BatchService batches;
    private final Duration retention;
    private final Clock clock;

    public BatchExpiry(BatchService batches, Duration retention, Clock clock) {
        this.batches = batches;
        this.retention = retention;
        this.clock = clock;
    }

    @Override
    public void run() {
        Instant cutoff = clock.instant().minus(retention);
        try {
            int deleted = batches.deleteCreatedBefore(cutoff);
            if (deleted > 0) {
                LOG.info(() -> deleted + " batches created before " + cutoff + " expired and were deleted");
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "expired batches not deleted now (" + e + "); tried again at the next run");
        }
    }
}
