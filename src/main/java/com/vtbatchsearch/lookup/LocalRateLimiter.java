package com.vtbatchsearch.lookup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The rate limit of a single instance, kept in memory: a sliding log of the calls of the last 60 s
 * (not fixed minutes) and a count per UTC day, seeded from the call log so a restart does not reset
 * the budget.
 */
public final class LocalRateLimiter implements RateLimiter {

    private final int perMinute;
    private final int perDay;
    private final Clock clock;
    private final Consumer<Instant> recorder;
    private final Deque<Instant> window = new ArrayDeque<>();
    private LocalDate day;
    private int usedToday;
    private Pause pause;

    /**
     * @param history  calls already made (from the call log), so a restart does not reset the budget
     * @param recorder told of every permit handed out, to persist it
     */
    public LocalRateLimiter(int perMinute, int perDay, Clock clock, List<Instant> history, Consumer<Instant> recorder) {
        this.perMinute = perMinute;
        this.perDay = perDay;
        this.clock = clock;
        this.recorder = recorder;
        Instant now = clock.instant();
        this.day = RateLimiter.utcDay(now);
        for (Instant call : history) {
            if (RateLimiter.utcDay(call).equals(day)) {
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
    @Override
    public synchronized Optional<Instant> tryAcquire() {
        Instant now = clock.instant();
        roll(now);
        if (pause != null && pause.until().isAfter(now)) {
            return Optional.of(pause.until());
        }
        if (usedToday >= perDay) {
            return Optional.of(pauseForTheDay(now));
        }
        if (window.size() >= perMinute) {
            return Optional.of(window.peekFirst().plus(WINDOW));
        }
        window.addLast(now);
        usedToday++;
        recorder.accept(now);
        if (usedToday >= perDay) {
            pauseForTheDay(now);
        }
        return Optional.empty();
    }

    /**
     * The day's budget is spent: pauses until 00:00 UTC, so pages and health say why lookups stop,
     * unless a pause in force lasts that long already.
     */
    private Instant pauseForTheDay(Instant now) {
        Instant midnight = RateLimiter.startOfNextUtcDay(now);
        if (pause == null || pause.until().isBefore(midnight)) {
            pause = new Pause(midnight, RateLimiter.dailyBudgetSpent(perDay));
        }
        return midnight;
    }

    @Override
    public synchronized void pauseUntil(Instant until, String reason) {
        if (pause == null || !pause.until().isAfter(until) || !pause.until().isAfter(clock.instant())) {
            pause = new Pause(until, reason);
        }
    }

    @Override
    public synchronized Optional<Pause> pause() {
        return pause != null && pause.until().isAfter(clock.instant()) ? Optional.of(pause) : Optional.empty();
    }

    /** Calls made in the last 60 s. */
    @Override
    public synchronized int usedThisMinute() {
        roll(clock.instant());
        return window.size();
    }

    /** Calls made since 00:00 UTC. */
    @Override
    public synchronized int usedToday() {
        roll(clock.instant());
        return usedToday;
    }

    @Override
    public int perMinute() {
        return perMinute;
    }

    @Override
    public int perDay() {
        return perDay;
    }

    @Override
    public synchronized void exhaustToday() {
        roll(clock.instant());
        usedToday = Math.max(usedToday, perDay);
    }

    private void roll(Instant now) {
        Instant cutoff = now.minus(WINDOW);
        while (!window.isEmpty() && !window.peekFirst().isAfter(cutoff)) {
            window.removeFirst();
        }
        LocalDate today = RateLimiter.utcDay(now);
        if (!today.equals(day)) {
            day = today;
            usedToday = 0;
        }
    }
}
