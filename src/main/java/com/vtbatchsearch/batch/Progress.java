package com.vtbatchsearch.batch;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Where a batch stands in the queue and when it should be done: the lookups that will be made before
 * its last one (its own open ones, plus the turns other batches take meanwhile), and the time they take
 * at the configured rate, counting a pause in force and the daily budget. Getter-style for JSP EL.
 */
public final class Progress {
    private final long lookupsToGo;
    private final long open;
    private final Long etaSeconds;
    private final String pausedUntil;

    public Progress(long lookupsToGo, long open, Long etaSeconds, String pausedUntil) {
        this.lookupsToGo = lookupsToGo;
        this.open = open;
        this.etaSeconds = etaSeconds;
        this.pausedUntil = pausedUntil;
    }

    /** Lookups, of all batches, to be made before this batch's last one. */
    public long getLookupsToGo() {
        return lookupsToGo;
    }

    /** This batch's hashes still waiting for an answer. */
    public long getOpen() {
        return open;
    }

    /** Seconds until the batch should be done; null when no estimate can be made (no key). */
    public Long getEtaSeconds() {
        return etaSeconds;
    }

    /** ISO-8601 end of a pause in force, or null. */
    public String getPausedUntil() {
        return pausedUntil;
    }

    /** The estimate in words, for the page: "about 3 h 20 min". */
    public String getEtaText() {
        if (etaSeconds == null) {
            return null;
        }
        long minutes = (etaSeconds + 59) / 60;
        if (minutes < 1) {
            return "under a minute";
        }
        if (minutes < 60) {
            return "about " + minutes + " min";
        }
        long hours = minutes / 60;
        return hours >= 48 ? "about " + (hours + 12) / 24 + " days" : "about " + hours + " h " + minutes % 60 + " min";
    }

    /**
     * Estimates the time to make {@code lookups} lookups from {@code now} when only
     * {@code remainingThisMonth} may be made before the first of the next month (UTC).
     */
    static Duration timeFor(long lookups, int perMinute, int perDay, int usedToday, long remainingThisMonth,
            Instant now, Instant pausedUntil) {
        if (lookups <= remainingThisMonth) {
            return timeFor(lookups, perMinute, perDay, usedToday, now, pausedUntil);
        }
        Instant nextMonth = now.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).plusMonths(1)
                .atStartOfDay(ZoneOffset.UTC).toInstant();
        Duration thisMonth = timeFor(remainingThisMonth, perMinute, perDay, usedToday, now, pausedUntil);
        Duration untilNextMonth = Duration.between(now, nextMonth);
        Duration start = thisMonth.compareTo(untilNextMonth) > 0 ? thisMonth : untilNextMonth;
        return start.plus(timeFor(lookups - remainingThisMonth, perMinute, perDay, 0, nextMonth, null));
    }

    /** Estimates the time to make {@code lookups} lookups from {@code now}. */
    static Duration timeFor(long lookups, int perMinute, int perDay, int usedToday, Instant now,
            Instant pausedUntil) {
        if (lookups <= 0) {
            return Duration.ZERO;
        }
        Instant start = pausedUntil != null && pausedUntil.isAfter(now) ? pausedUntil : now;
        boolean laterDay = start.atZone(ZoneOffset.UTC).toLocalDate().isAfter(now.atZone(ZoneOffset.UTC).toLocalDate());
        long remainingToday = Math.max(0, perDay - (laterDay ? 0 : usedToday));
        Duration perLookup = Duration.ofNanos(60_000_000_000L / perMinute);
        if (lookups <= remainingToday) {
            return Duration.between(now, start).plus(perLookup.multipliedBy(lookups));
        }
        long afterToday = lookups - remainingToday;
        long fullDays = (afterToday - 1) / perDay;
        long lastDay = afterToday - fullDays * perDay;
        Instant nextDay = start.atZone(ZoneOffset.UTC).toLocalDate().plusDays(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant();
        return Duration.between(now, nextDay).plusDays(fullDays).plus(perLookup.multipliedBy(lastDay));
    }
}
