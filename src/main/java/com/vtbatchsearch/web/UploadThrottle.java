package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.UploadRejectedException;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Per-client upload budget, so that one client cannot flood the instance or spend the owner's
 * VirusTotal quota: at most {@code batchesPerHour} batches in any sliding hour and at most
 * {@code newHashesPerDay} newly queued lookups (hashes not answered or pending already, and stale answers
 * a refresh looks up again) in any sliding 24 hours. A client is its remote address. Counts live in this
 * instance's memory: a restart forgets
 * them and several instances count separately.
 *
 * <p>A batch first takes a slot with {@link #admit}, before anything is read; once the hashes are
 * extracted, {@link Ticket#spendNewHashes} checks the lookups it would queue; {@link Ticket#commit}
 * keeps the slot once the batch is stored, and closing an uncommitted ticket gives everything back.
 */
public final class UploadThrottle {
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration DAY = Duration.ofDays(1);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm 'UTC'").withZone(ZoneOffset.UTC);
    /** Past this many clients, clients with nothing in their windows are dropped. */
    private static final int SWEEP_ABOVE = 10_000;

    private final int batchesPerHour;
    private final int newHashesPerDay;
    private final Clock clock;
    private final Map<String, Usage> clients = new HashMap<>();

    public UploadThrottle(int batchesPerHour, int newHashesPerDay, Clock clock) {
        this.batchesPerHour = batchesPerHour;
        this.newHashesPerDay = newHashesPerDay;
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
        /** When the batch slot was taken; null for a refresh, which takes none. */
        private final Instant at;
        private Spent spent;
        private boolean committed;

        private Ticket(String client, Instant at) {
            this.client = client;
            this.at = at;
        }

        /** Claims {@code count} new lookups, or throws a 429 if the client's daily budget has no room. */
        public void spendNewHashes(int count) {
            synchronized (UploadThrottle.this) {
                Usage usage = usage(client);
                Instant now = clock.instant();
                usage.expire(now);
                long used = usage.newHashesToday();
                if (count > 0 && used + count > newHashesPerDay) {
                    Duration wait = count > newHashesPerDay ? DAY : usage.untilRoomFor(count, newHashesPerDay, now);
                    throw throttled("This " + (at == null ? "refresh" : "upload") + " would queue " + count
                            + " new lookups; your address may queue " + newHashesPerDay + " a day and has "
                            + Math.max(0, newHashesPerDay - used) + " left. " + (count <= newHashesPerDay
                            ? "Come back after " + TIME.format(now.plus(wait)) + "."
                            : at == null ? "Upload the stale hashes again in smaller files over several days."
                            : "Split it into smaller files and upload them over several days."), wait);
                }
                spent = new Spent(now, count);
                usage.hashes.addLast(spent);
            }
        }

        /** The batch is stored: its slot and new lookups stay counted. */
        public void commit() {
            committed = true;
        }

        @Override
        public void close() {
            if (committed) {
                return;
            }
            synchronized (UploadThrottle.this) {
                Usage usage = clients.get(client);
                if (usage != null) {
                    if (at != null) {
                        usage.batches.removeLastOccurrence(at);
                    }
                    if (spent != null) {
                        usage.hashes.removeLastOccurrence(spent);
                    }
                }
            }
        }
    }

    /** Takes a batch slot for {@code client}, or throws a 429 saying when the next one is free. */
    public synchronized Ticket admit(String client) {
        Instant now = clock.instant();
        if (clients.size() > SWEEP_ABOVE) {
            sweep(now);
        }
        Usage usage = usage(client);
        usage.expire(now);
        if (usage.batches.size() >= batchesPerHour) {
            Duration wait = Duration.between(now, usage.batches.peekFirst().plus(HOUR));
            throw throttled("Too many uploads from your address: at most " + batchesPerHour
                    + " batches an hour. Come back after " + TIME.format(now.plus(wait)) + ".", wait);
        }
        usage.batches.addLast(now);
        return new Ticket(client, now);
    }

    /**
     * A claim for a refresh of stale answers: it takes no batch slot, but the lookups it queues are new
     * lookups like an upload's and are charged to the same daily budget through {@link Ticket#spendNewHashes}.
     */
    public Ticket admitRefresh(String client) {
        return new Ticket(client, null);
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

    private Usage usage(String client) {
        return clients.computeIfAbsent(client, c -> new Usage());
    }

    private void sweep(Instant now) {
        for (Iterator<Usage> it = clients.values().iterator(); it.hasNext(); ) {
            Usage usage = it.next();
            usage.expire(now);
            if (usage.batches.isEmpty() && usage.hashes.isEmpty()) {
                it.remove();
            }
        }
    }

    private record Spent(Instant at, int count) {
    }

    private static final class Usage {
        private final Deque<Instant> batches = new ArrayDeque<>();
        private final Deque<Spent> hashes = new ArrayDeque<>();

        void expire(Instant now) {
            while (!batches.isEmpty() && !batches.peekFirst().plus(HOUR).isAfter(now)) {
                batches.pollFirst();
            }
            while (!hashes.isEmpty() && !hashes.peekFirst().at().plus(DAY).isAfter(now)) {
                hashes.pollFirst();
            }
        }

        long newHashesToday() {
            return hashes.stream().mapToLong(Spent::count).sum();
        }

        /** How long until enough of today's lookups have aged out of the window to make room for {@code count}. */
        Duration untilRoomFor(int count, int limit, Instant now) {
            long used = newHashesToday();
            for (Spent spent : hashes) {
                used -= spent.count();
                if (used + count <= limit) {
                    return Duration.between(now, spent.at().plus(DAY));
                }
            }
            return DAY;
        }
    }
}
