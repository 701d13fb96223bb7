package com.vtbatchsearch.lookup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Hands out permits for VirusTotal requests: never more than {@code perMinute} in any 60 s window
 * (a sliding log of the last calls, not fixed minutes) and never more than {@code perDay} in one UTC
 * day. A caller that gets no permit learns the exact instant the next one frees up, so it can wait
 * that long and no longer.
 */
public final class RateLimiter {
    static final Duration WINDOW = Duration.ofMinutes(1);

    private final int perMinute;
    private final int perDay;
    private final Clock clock;
    private final Consumer<Instant> recorder;
    private final Deque<Instant> window = new ArrayDeque<>();
    private LocalDate day;
    private int usedToday;

    /**
     * @param history  calls already made (from the call log), so a restart does not reset the budget
     * @param recorder told of every permit handed out, to persist it
     */
    public RateLimiter(int perMinute, int perDay, Clock clock, List<Instant> history, Consumer<Instant> recorder) {
        this.perMinute = perMinute;
        this.perDay = perDay;
        this.clock = clock;
        this.recorder = recorder;
        Instant now = clock.instant();
        this.day = utcDay(now);
        for (Instant call : history) {
            if (utcDay(call).equals(day)) {
                usedToday++;
            }
            if (call.isAfter(now.minus(WINDOW))) {
                window.addLast(call);
            }
        }
        while (window.size() > perMinute) {
            window.removeFirst();
        }
    }

    /**
     * Takes a permit if one is free now.
     *
     * @return empty when the permit was taken; otherwise the instant at which one will be free
     */
    public synchronized Optional<Instant> tryAcquire() {
        Instant now = clock.instant();
        roll(now);
        if (usedToday >= perDay) {
            return Optional.of(startOfNextUtcDay(now));
        }
        if (window.size() >= perMinute) {
            return Optional.of(window.peekFirst().plus(WINDOW));
        }
        window.addLast(now);
        usedToday++;
        recorder.accept(now);
        return Optional.empty();
    }

    /** Calls made in the last 60 s. */
    public synchronized int usedThisMinute() {
        roll(clock.instant());
        return window.size();
    }

    /** Calls made since 00:00 UTC. */
    public synchronized int usedToday() {
        roll(clock.instant());
        return usedToday;
    }

    public int perMinute() {
        return perMinute;
    }

    public int perDay() {
        return perDay;
    }

    /** Marks the day's budget as spent, as when VirusTotal says so before our own count does. */
    public synchronized void exhaustToday() {
        roll(clock.instant());
        usedToday = Math.max(usedToday, perDay);
    }

    private void roll(Instant now) {
        Instant cutoff = now.minus(WINDOW);
        while (!window.isEmpty() && !window.peekFirst().isAfter(cutoff)) {
            window.removeFirst();
        }
        LocalDate today = utcDay(now);
        if (!today.equals(day)) {
            day = today;
            usedToday = 0;
        }
    }

    static LocalDate utcDay(Instant instant) {
        return instant.atZone(ZoneOffset.UTC).toLocalDate();
    }

    public static Instant startOfNextUtcDay(Instant now) {
        return utcDay(now).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
