package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.UploadRejectedException;
import com.vtbatchsearch.throttle.ThrottleStore;
import com.vtbatchsearch.throttle.ThrottleStore.Charge;
import com.vtbatchsearch.throttle.ThrottleStore.Window;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Per-client upload budget, so that one client cannot flood the deployment or spend the owner's
 * VirusTotal quota: at most {@code batchesPerHour} batches in any sliding hour and at most
 * {@code newHashesPerDay} newly queued lookups (hashes not answered or pending already, and stale answers
 * a refresh looks up again) in any sliding 24 hours. A client is its remote address. The counts live in a {@link ThrottleStore} (Redis or the
 * database), so every instance of a deployment shares them and a restart keeps them.
 *
 * <p>A batch first takes a slot with {@link #admit}, before anything is read; once the hashes are
 * extracted, {@link Ticket#spendNewHashes} checks the lookups it would queue; {@link Ticket#commit}
 * keeps the slot once the batch is stored, and closing an uncommitted ticket gives everything back.
 *
 * <p>When the store cannot be reached, the upload is let through (fail open) and a warning is logged
 * once per outage: the upload itself is stored or refused on its own merits, so nothing is lost, and
 * an abuser gains little meanwhile (with Redis down no lookup is made at all, with the database down
 * no batch can be stored).
 */
public final class UploadThrottle {
    private static final Logger LOG = Logger.getLogger(UploadThrottle.class.getName());
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration DAY = Duration.ofDays(1);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final Window batches;
    private final Window newHashes;
    private final ThrottleStore store;
    private final Clock clock;
    private final AtomicBoolean outage = new AtomicBoolean();

    public UploadThrottle(int batchesPerHour, int newHashesPerDay, ThrottleStore store, Clock clock) {
        this.batches = new Window("batches", batchesPerHour, HOUR);
        this.newHashes = new Window("new-hashes", newHashesPerDay, DAY);
        this.store = store;
        this.clock = clock;
    }

    /** An upload refused for its client's budget: 429, with the time to come back. */
    public static final class ThrottledException extends UploadRejectedException {
        private final long retryAfterSeconds;

        ThrottledException(String message, Duration retryAfter) {
            super(429, message);
            this.retryAfterSeconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** One batch's (or one refresh's) claim on its client's budget. */
    public final class Ticket implements AutoCloseable {
        private final String client;
        private final boolean refresh;
        /** The batch slot; null for a refresh, which takes none, or when the store could not be reached. */
        private final Charge slot;
        private Charge spent;
        private boolean committed;

        private Ticket(String client, boolean refresh, Charge slot) {
            this.client = client;
            this.refresh = refresh;
            this.slot = slot;
        }

        /** Claims {@code count} new lookups, or throws a 429 if the client's daily budget has no room. */
        public void spendNewHashes(int count) {
            if (count <= 0) {
                return; // cached and pending hashes cost nothing
            }
            int limit = newHashes.limit();
            Instant now = clock.instant();
            Charge charge = charge(client, newHashes, count, now);
            if (charge == null || charge.granted()) {
                spent = charge;
                return;
            }
            Duration wait = count > limit ? DAY : charge.retryAfter();
            throw throttled("This " + (refresh ? "refresh" : "upload") + " would queue " + count
                    + " new lookups; your address may queue " + limit + " a day and has "
                    + Math.max(0, limit - charge.used()) + " left. " + (count <= limit
                    ? "Come back after " + TIME.format(now.plus(wait)) + "."
                    : refresh ? "Upload the stale hashes again in smaller files over several days."
                    : "Split it into smaller files and upload them over several days."), wait);
        }

        /** The batch is stored: its slot and new lookups stay counted. */
        public void commit() {
            committed = true;
        }

        @Override
        public void close() {
            if (!committed) {
                refund(spent);
                refund(slot);
            }
        }
    }

    /** Takes a batch slot for {@code client}, or throws a 429 saying when the next one is free. */
    public Ticket admit(String client) {
        Instant now = clock.instant();
        Charge slot = charge(client, batches, 1, now);
        if (slot != null && !slot.granted()) {
            Duration wait = slot.retryAfter();
            throw throttled("Too many uploads from your address: at most " + batches.limit()
                    + " batches an hour. Come back after " + TIME.format(now.plus(wait)) + ".", wait);
        }
        return new Ticket(client, false, slot);
    }

    /**
     * A claim for a refresh of stale answers: it takes no batch slot, but the lookups it queues are new
     * lookups like an upload's and are charged to the same daily budget through {@link Ticket#spendNewHashes}.
     */
    public Ticket admitRefresh(String client) {
        return new Ticket(client, true, null);
    }

    /** Adds {@code Retry-After} to the answer when {@code rejection} is a throttling one. */
    public static void addRetryAfter(HttpServletResponse response, UploadRejectedException rejection) {
        if (rejection instanceof ThrottledException throttled) {
            response.setHeader("Retry-After", String.valueOf(throttled.retryAfterSeconds()));
        }
        if (rejection.status() == 413 || rejection.status() == 429 || rejection.status() == 403) {
            // the rest of the body was not read: close rather than swallow it
            response.setHeader("Connection", "close");
        }
    }

    private static ThrottledException throttled(String message, Duration wait) {
        return new ThrottledException(message, wait.isNegative() ? Duration.ZERO : wait);
    }

    /** The store's answer, or null when it cannot be reached: the upload then goes through unmetered. */
    private Charge charge(String client, Window window, int amount, Instant now) {
        try {
            Charge charge = store.charge(client, window, amount, now);
            if (outage.compareAndSet(true, false)) {
                LOG.info("the upload budgets can be counted again");
            }
            return charge;
        } catch (RuntimeException e) {
            if (outage.compareAndSet(false, true)) {
                LOG.warning(() -> "the upload budgets cannot be counted (" + e
                        + "); uploads are let through unmetered until the store answers again");
            }
            return null;
        }
    }

    private void refund(Charge charge) {
        if (charge == null || !charge.granted()) {
            return;
        }
        try {
            store.refund(charge);
        } catch (RuntimeException e) {
            LOG.warning(() -> "an unused upload slot of " + charge.client() + " could not be given back (" + e
                    + "); it ages out of its window");
        }
    }
}
