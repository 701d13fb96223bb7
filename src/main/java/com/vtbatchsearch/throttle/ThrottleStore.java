package com.vtbatchsearch.throttle;

import java.time.Duration;
import java.time.Instant;

/**
 * Where the per-client upload budgets are counted, outside the JVM so that every instance of a
 * deployment draws from one budget and a restart forgets nothing: Redis when the deployment has one,
 * the database otherwise. Each {@link #charge} checks and records in one atomic step, so two instances
 * charging one client at once cannot both take the last unit.
 */
public interface ThrottleStore {

    /** A sliding window: at most {@code limit} units per client in any {@code length}; {@code name} keys it. */
    record Window(String name, int limit, Duration length) {
    }

    /**
     * The answer to one charge. Granted: the units are recorded under {@code id} until they leave the
     * window or are {@linkplain #refund refunded}. Refused: nothing was recorded, and {@code retryAfter}
     * says when enough of the client's units will have left the window to make room (the whole window
     * when {@code amount} is over the limit by itself). {@code used} is what the window held before.
     */
    record Charge(String client, Window window, String id, int amount, boolean granted, long used,
            Duration retryAfter) {
    }

    /** Checks that {@code amount} more units fit in the client's window at {@code now} and records them if so. */
    Charge charge(String client, Window window, int amount, Instant now);

    /** Gives a granted charge back, as if it had never been made. */
    void refund(Charge charge);
}
