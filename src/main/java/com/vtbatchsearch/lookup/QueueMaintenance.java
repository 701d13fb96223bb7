package com.vtbatchsearch.lookup;

import com.vtbatchsearch.lookup.LookupRepository.PendingEntry;
import com.vtbatchsearch.queue.LookupQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Keeps the queue in line with the database, which holds the truth: fills it from the database when
 * it cannot vouch for its contents (a new in-process queue, a Redis that restarted empty), puts back
 * entries that dead instances left in progress, and re-queues open lookups when the queue has run dry
 * while the database still has some (an entry dropped by a failure). Shared by an instance's workers;
 * runs at most once per interval, whichever worker gets there first.
 */
public final class QueueMaintenance {
    private static final Logger LOG = Logger.getLogger(QueueMaintenance.class.getName());
    private static final Duration REFILL_CHECK = Duration.ofSeconds(1);

    /** Told when the queue was refilled after losing its contents, e.g. to restore a shared budget. */
    public interface RefillListener {
        void refilled();
    }

    private final LookupQueue queue;
    private final LookupRepository lookups;
    private final Duration interval;
    private final Clock clock;
    private final RefillListener listener;
    private Instant next = Instant.EPOCH;
    private Instant nextRefillCheck = Instant.EPOCH;

    public QueueMaintenance(LookupQueue queue, LookupRepository lookups, Duration interval, Clock clock,
            RefillListener listener) {
        this.queue = queue;
        this.lookups = lookups;
        this.interval = interval;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * Runs the checks if the interval has passed since the last run; checks every second whether the
     * queue lost its contents, so a Redis that restarted empty is refilled at once.
     */
    public void maintain() {
        synchronized (this) {
            Instant now = clock.instant();
            if (now.isBefore(next)) {
                if (now.isBefore(nextRefillCheck)) {
                    return;
                }
                nextRefillCheck = now.plus(REFILL_CHECK);
                if (!queue.needsRefill()) {
                    return;
                }
            }
            next = now.plus(interval);
        }
        runNow();
    }

    /** Runs the checks now; returns how many entries were put back. */
    public synchronized int runNow() {
        queue.heartbeat();
        int recovered = queue.recoverAbandoned();
        if (recovered > 0) {
            LOG.info(() -> "put back " + recovered + " lookups left in progress by an instance that stopped");
        }
        if (queue.needsRefill()) {
            int added = enqueue(lookups.pendingEntries());
            queue.markFilled();
            listener.refilled();
            LOG.info(() -> "queue " + queue.describe() + " filled from the database: " + added + " open lookups");
            return recovered + added;
        }
        if (queue.size() == 0) {
            List<PendingEntry> open = lookups.pendingEntries();
            if (!open.isEmpty()) {
                int added = enqueue(open);
                LOG.info(() -> "queue was empty while " + added + " lookups were open; queued them again");
                return recovered + added;
            }
        }
        return recovered;
    }

    private int enqueue(List<PendingEntry> entries) {
        Map<String, List<String>> byBatch = new LinkedHashMap<>();
        for (PendingEntry entry : entries) {
            byBatch.computeIfAbsent(entry.batchId(), id -> new ArrayList<>()).add(entry.hash());
        }
        byBatch.forEach(queue::enqueue);
        return entries.size();
    }
}
