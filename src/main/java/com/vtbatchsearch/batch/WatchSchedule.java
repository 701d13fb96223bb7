package com.vtbatchsearch.batch;

import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/**
 * Re-checks watched batches on their schedule (daily, weekly), run hourly by the housekeeping thread. It
 * yields to first lookups: while any hash waits for its first answer, nothing is started, so a watched
 * batch never takes quota from a batch that has none of its answers yet.
 */
public final class WatchSchedule implements Runnable {
    private static final Logger LOG = Logger.getLogger(WatchSchedule.class.getName());
    /** Re-checks started per run at most; the rest are due on the next. */
    static final int PER_RUN = 50;

    private final BatchService batches;
    private final Clock clock;

    public WatchSchedule(BatchService batches, Clock clock) {
        this.batches = batches;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            LOG.warning(() -> "watched batches not re-checked this hour: " + e);
        }
    }

    /** @return how many re-checks were started */
    public int runOnce() {
        RecheckRepository rechecks = batches.rechecks();
        List<String> due = rechecks.dueForWatch(clock.instant(), PER_RUN);
        if (due.isEmpty()) {
            return 0;
        }
        if (rechecks.anyFirstLookupPending()) {
            LOG.info(() -> due.size() + " watched batches are due for a re-check; they wait while first lookups are pending");
            return 0;
        }
        int started = 0;
        for (String id : due) {
            if (batches.recheck(id).map(BatchService.RecheckStarted::started).orElse(false)) {
                started++;
            }
        }
        int n = started;
        LOG.info(() -> n + " watched batches re-checked on schedule");
        return started;
    }
}
