package com.vtbatchsearch.lookup;

import java.time.Clock;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Keeps the log of VirusTotal calls short: deletes the calls older than the rate limit ever reads (the
 * last day, with a day to spare). Runs at start-up and then on a schedule, with Redis or without, so the
 * table never grows with the instance's uptime. A failure (the database away) is logged once and the
 * next run tries again.
 */
public final class CallLogPruner implements Runnable {
    private static final Logger LOG = Logger.getLogger(CallLogPruner.class.getName());
    /** The limiter reads the last 24 h, the current UTC day and, for VT_REQUESTS_PER_MONTH, the month. */
    public static final Duration KEEP = Duration.ofDays(32);

    private final CallLogRepository callLog;
    private final Clock clock;
    private boolean failing;

    public CallLogPruner(CallLogRepository callLog, Clock clock) {
        this.callLog = callLog;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            int deleted = callLog.deleteBefore(clock.instant().minus(KEEP));
            if (failing || deleted > 0) {
                LOG.fine(() -> "call log pruned: " + deleted + " calls older than " + KEEP.toDays() + " days");
            }
            failing = false;
        } catch (RuntimeException e) {
            // caught so the schedule keeps running; one line per outage, not one per run
            if (!failing) {
                LOG.warning(() -> "the VirusTotal call log cannot be pruned now (" + e.getMessage() + "); trying again later");
            }
            failing = true;
        }
    }
}
