package com.vtbatchsearch.lookup;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Hands out permits for VirusTotal requests: never more than {@link #perMinute} in any 60 s window
 * and never more than {@link #perDay} in one UTC day, for the whole deployment that shares it. Also
 * holds the pause that a 429 or a rejected key puts on all lookups, and the one until 00:00 UTC that
 * starts when the day's budget is spent. A caller without a permit learns
 * the exact instant one frees up, so it waits that long and no longer.
 */
public interface RateLimiter {

    /**
     * The sliding window, a minute plus a margin: VirusTotal counts a call when it arrives, which is a
     * little after the permit here, and unevenly so (a new connection, a pause); without the margin a
     * call timed to the millisecond can land inside VirusTotal's minute and draw a 429.
     */
    Duration WINDOW = Duration.ofMillis(60_500);

    /** A pause on all lookups: until when, and why (for pages and health). */
    record Pause(Instant until, String reason) {
    }

    /**
     * Takes a permit if one is free now.
     *
     * @return empty when the permit was taken; otherwise the instant at which to ask again
     */
    Optional<Instant> tryAcquire();

    /** Pauses all lookups until {@code until}; a longer pause already in force is kept. */
    void pauseUntil(Instant until, String reason);

    /** The pause in force, if any. */
    Optional<Pause> pause();

    /** Marks the day's budget as spent, as when VirusTotal says so before our own count does. */
    void exhaustToday();

    int usedThisMinute();

    int usedToday();

    int perMinute();

    int perDay();

    /** Reads the key's quota from VirusTotal again now, as after a 429; a limiter of settings only has none to read. */
    default void recheck() {
    }

    /** Lookups left this UTC month by the budget in force; {@link Long#MAX_VALUE} when the month has no cap. */
    default long remainingThisMonth() {
        return Long.MAX_VALUE;
    }

    /** The figures of the budget for pages and health. */
    default QuotaMeter meter() {
        return QuotaMeter.fromSettings(this);
    }

    static LocalDate utcDay(Instant instant) {
        return instant.atZone(ZoneOffset.UTC).toLocalDate();
    }

    /** Why lookups pause when our own count of the day's calls reaches {@code perDay}. */
    static String dailyBudgetSpent(int perDay) {
        return "the day's budget (VT_REQUESTS_PER_DAY = " + perDay + ") is spent";
    }

    static Instant startOfNextUtcDay(Instant now) {
        return utcDay(now).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
