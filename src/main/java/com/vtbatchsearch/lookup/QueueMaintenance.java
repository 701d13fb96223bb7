package com.vtbatchsearch.lookup;

import com.vtbatchsearch.lookup.LookupRepository.BatchWithWork;
import com.vtbatchsearch.queue.LookupQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.logging.Logger;

/**
 * Keeps the queue in line with the database, which holds the truth: gives back their places to the
 * batches whose turns dead instances left in progress (or live ones stranded), and reconciles the
 * rotation with the database regularly, so every batch with open lookups has its place even when
 * queueing it failed (Redis blinked during its upload) or the queue lost its contents (a new
 * in-process queue, a Redis that restarted empty). The database is read a page of batches at a time.
 * Shared by an instance's workers; each check runs at most once per interval, whichever worker gets
 * there first.
 */
public final class QueueMaintenance {
    private static final Logger LOG = Logger.getLogger(QueueMaintenance.class.getName());
    private static final Duration REFILL_CHECK = Duration.ofSeconds(1);
    /** Batches read from the database and handed to the queue at once. */
    static final int PAGE = 500;

    /** Told when the queue was refilled after losing its contents, e.g. to restore a shared budget. */
    public interface RefillListener {
        void refilled();
    }

    private final LookupQueue queue;
    private final LookupRepository lookups;
    private final Duration recoverInterval;
    private final Duration reconcileInterval;
    private final Clock clock;
    private final RefillListener listener;
    private Instant nextRecover = Instant.EPOCH;
    private Instant nextReconcile = Instant.EPOCH;
    private Instant nextRefillCheck = Instant.EPOCH;

    /**
     * @param recoverInterval   how often entries left in progress are looked for
     * @param reconcileInterval how often the rotation is checked against the database
     */
    public QueueMaintenance(LookupQueue queue, LookupRepository lookups, Duration recoverInterval,
            Duration reconcileInterval, Clock clock, RefillListener listener) {
        this.queue = queue;
        this.lookups = lookups;
        this.recoverInterval = recoverInterval;
        this.reconcileInterval = reconcileInterval;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * Runs the checks whose interval has passed; checks every second whether the queue lost its
     * contents, so a Redis that restarted empty is refilled at once.
     */
    public void maintain() {
        boolean recover;
        boolean reconcile;
        synchronized (this) {
            Instant now = clock.instant();
            recover = !now.isBefore(nextRecover);
            reconcile = !now.isBefore(nextReconcile);
            if (!reconcile && !now.isBefore(nextRefillCheck)) {
                nextRefillCheck = now.plus(REFILL_CHECK);
                reconcile = queue.needsRefill();
            }
            if (recover) {
                nextRecover = now.plus(recoverInterval);
            }
            if (reconcile) {
                nextReconcile = now.plus(reconcileInterval);
            }
        }
        if (recover) {
            recover();
        }
        if (reconcile) {
            reconcile();
        }
    }

    /** Runs every check now; returns how many places were given back or added. */
    public int runNow() {
        synchronized (this) {
            Instant now = clock.instant();
            nextRecover = now.plus(recoverInterval);
            nextReconcile = now.plus(reconcileInterval);
        }
        return recover() + reconcile();
    }

    private synchronized int recover() {
        queue.heartbeat();
        int recovered = queue.recoverAbandoned();
        if (recovered > 0) {
            LOG.info(() -> "gave back their places to " + recovered + " turns or lookups left in progress");
        }
        return recovered;
    }

    /** Gives every batch with open lookups its place, a page of batches at a time; returns how many were missing. */
    private synchronized int reconcile() {
        boolean refill = queue.needsRefill();
        int added = 0;
        BatchWithWork after = null;
        while (true) {
            List<BatchWithWork> page = lookups.batchesWithOpenLookups(after, PAGE);
            if (page.isEmpty()) {
                break;
            }
            added += queue.reconcile(page.stream().map(BatchWithWork::id).toList());
            after = page.get(page.size() - 1);
            if (page.size() < PAGE) {
                break;
            }
        }
        int missing = added;
        if (refill) {
            queue.markFilled();
            listener.refilled();
            LOG.info(() -> "queue " + queue.describe() + " filled from the database: " + missing
                    + " batches with open lookups");
        } else if (missing > 0) {
            LOG.info(() -> missing + " batches with open lookups had no place in the queue; they have one again");
        }
        return missing;
    }
}
