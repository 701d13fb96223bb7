package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    /** The sliding window: a minute plus a margin for the call's way to VirusTotal. */
    private static final Duration W = RateLimiter.WINDOW;

    private final MutableClock clock = new MutableClock(T0);
    private final List<Instant> recorded = new ArrayList<>();

    private LocalRateLimiter limiter(int perMinute, int perDay, List<Instant> history) {
        return new LocalRateLimiter(perMinute, perDay, clock, history, recorded::add);
    }

    private static Instant at(String iso) {
        return Instant.parse(iso);
    }

    @Test
    void permitsUpToPerMinuteThenNamesTheInstantTheOldestCallLeavesTheWindow() {
        RateLimiter limiter = limiter(3, 1_000, List.of());

        assertEquals(Optional.empty(), limiter.tryAcquire());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Optional.empty(), limiter.tryAcquire());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Optional.empty(), limiter.tryAcquire());
        clock.advance(Duration.ofSeconds(10));

        assertEquals(Optional.of(T0.plus(W)), limiter.tryAcquire());
    }

    @Test
    void theWindowIsAtLeastAMinute() {
        assertTrue(W.compareTo(Duration.ofSeconds(60)) >= 0, W.toString());
        assertTrue(W.compareTo(Duration.ofSeconds(61)) <= 0, "a margin, not a second minute: " + W);
    }

    @Test
    void noPermitOneMillisecondBeforeTheNamedInstantAndOneExactlyAtIt() {
        RateLimiter limiter = limiter(2, 1_000, List.of());
        limiter.tryAcquire();
        clock.advance(Duration.ofSeconds(5));
        limiter.tryAcquire();

        Instant free = limiter.tryAcquire().orElseThrow();
        clock.set(free.minusMillis(1));
        assertEquals(Optional.of(free), limiter.tryAcquire());

        clock.set(free);
        assertEquals(Optional.empty(), limiter.tryAcquire());
        // the window now holds T0+5 s and T0+W: the next permit frees at T0+5 s+W
        assertEquals(Optional.of(T0.plusSeconds(5).plus(W)), limiter.tryAcquire());
    }

    @Test
    void neverMoreThanPerMinuteInAnySixtySecondWindow() {
        int perMinute = 4;
        RateLimiter limiter = limiter(perMinute, 1_000_000, List.of());
        Random random = new Random(42);
        List<Instant> granted = new ArrayList<>();

        for (int i = 0; i < 5_000; i++) {
            Optional<Instant> next = limiter.tryAcquire();
            if (next.isEmpty()) {
                granted.add(clock.instant());
            } else {
                assertTrue(next.get().isAfter(clock.instant()), "the next free instant lies in the future");
            }
            clock.advance(Duration.ofMillis(random.nextInt(20_000)));
        }

        assertTrue(granted.size() > 100, "the test granted too few permits to mean anything: " + granted.size());
        for (int i = perMinute; i < granted.size(); i++) {
            Duration span = Duration.between(granted.get(i - perMinute), granted.get(i));
            assertFalse(span.compareTo(Duration.ofSeconds(60)) < 0,
                    (perMinute + 1) + " permits within " + span + " ending at " + granted.get(i));
        }
    }

    @Test
    void usedThisMinuteDropsAsCallsLeaveTheWindow() {
        RateLimiter limiter = limiter(5, 1_000, List.of());
        limiter.tryAcquire();
        clock.advance(Duration.ofSeconds(30));
        limiter.tryAcquire();
        assertEquals(2, limiter.usedThisMinute());

        clock.set(T0.plus(W).minusMillis(1));
        assertEquals(2, limiter.usedThisMinute());
        clock.set(T0.plus(W));
        assertEquals(1, limiter.usedThisMinute());
        clock.set(T0.plusSeconds(30).plus(W));
        assertEquals(0, limiter.usedThisMinute());
    }

    @Test
    void theDailyBudgetEndsWithTheNextUtcMidnight() {
        clock.set(at("2024-05-01T23:58:00Z"));
        RateLimiter limiter = limiter(100, 2, List.of());
        limiter.tryAcquire();
        limiter.tryAcquire();

        assertEquals(Optional.of(at("2024-05-02T00:00:00Z")), limiter.tryAcquire());
        clock.set(at("2024-05-01T23:59:59.999Z"));
        assertEquals(Optional.of(at("2024-05-02T00:00:00Z")), limiter.tryAcquire());
        assertEquals(2, limiter.usedToday());
    }

    @Test
    void spendingTheDailyBudgetPausesLookupsUntilUtcMidnightSayingWhy() {
        RateLimiter limiter = limiter(100, 2, List.of());
        limiter.tryAcquire();
        assertEquals(Optional.empty(), limiter.pause());

        limiter.tryAcquire();

        assertEquals(Optional.of(new RateLimiter.Pause(at("2024-05-02T00:00:00Z"),
                "the day's budget (VT_REQUESTS_PER_DAY = 2) is spent")), limiter.pause());
        clock.set(at("2024-05-02T00:00:00Z"));
        assertEquals(Optional.empty(), limiter.pause());
        assertEquals(Optional.empty(), limiter.tryAcquire());
    }

    @Test
    void aBudgetSpentBeforeARestartPausesAtTheFirstRequest() {
        RateLimiter limiter = limiter(100, 2, List.of(T0.minusSeconds(3_600), T0.minusSeconds(1_800)));

        assertEquals(Optional.of(at("2024-05-02T00:00:00Z")), limiter.tryAcquire());
        assertEquals(at("2024-05-02T00:00:00Z"), limiter.pause().orElseThrow().until());
        assertTrue(limiter.pause().orElseThrow().reason().contains("VT_REQUESTS_PER_DAY"));
    }

    @Test
    void theDailyBudgetResetsAtUtcMidnight() {
        clock.set(at("2024-05-01T23:58:00Z"));
        RateLimiter limiter = limiter(100, 2, List.of());
        limiter.tryAcquire();
        limiter.tryAcquire();

        clock.set(at("2024-05-02T00:00:00Z"));

        assertEquals(0, limiter.usedToday());
        assertEquals(Optional.empty(), limiter.tryAcquire());
        assertEquals(Optional.empty(), limiter.tryAcquire());
        assertEquals(Optional.of(at("2024-05-03T00:00:00Z")), limiter.tryAcquire());
    }

    @Test
    void startOfNextUtcDayIsMidnightAfterNow() {
        assertEquals(at("2024-05-02T00:00:00Z"), RateLimiter.startOfNextUtcDay(at("2024-05-01T00:00:00Z")));
        assertEquals(at("2024-05-02T00:00:00Z"), RateLimiter.startOfNextUtcDay(at("2024-05-01T23:59:59.999Z")));
        assertEquals(at("2024-03-01T00:00:00Z"), RateLimiter.startOfNextUtcDay(at("2024-02-29T12:00:00Z")));
    }

    @Test
    void recentCallsFromAPreviousRunCountAgainstTheMinute() {
        List<Instant> history = List.of(T0.minusSeconds(50), T0.minusSeconds(40), T0.minusSeconds(30));
        RateLimiter limiter = limiter(3, 1_000, history);

        assertEquals(3, limiter.usedThisMinute());
        assertEquals(Optional.of(T0.minusSeconds(50).plus(W)), limiter.tryAcquire());
        assertTrue(recorded.isEmpty(), "history is not recorded again");
    }

    @Test
    void historyOlderThanAMinuteCountsOnlyAgainstTheDay() {
        List<Instant> history = List.of(
                at("2024-04-30T23:00:00Z"),  // yesterday: counts for nothing
                at("2024-05-01T01:00:00Z"),
                at("2024-05-01T09:00:00Z"),
                T0.minusSeconds(20));
        RateLimiter limiter = limiter(2, 4, history);

        assertEquals(3, limiter.usedToday());
        assertEquals(1, limiter.usedThisMinute());
        assertEquals(Optional.empty(), limiter.tryAcquire());
        clock.advance(Duration.ofMinutes(5));
        assertEquals(Optional.of(at("2024-05-02T00:00:00Z")), limiter.tryAcquire());
    }

    @Test
    void historyLongerThanTheMinuteLimitKeepsTheNewestCalls() {
        List<Instant> history = List.of(T0.minusSeconds(50), T0.minusSeconds(40), T0.minusSeconds(30),
                T0.minusSeconds(20));
        RateLimiter limiter = limiter(2, 1_000, history);

        // the two newest calls (T0-30 s, T0-20 s) fill the window; the first leaves it at T0-30 s+W
        assertEquals(Optional.of(T0.minusSeconds(30).plus(W)), limiter.tryAcquire());
    }

    @Test
    void theRecorderSeesEachPermitAndNothingElse() {
        RateLimiter limiter = limiter(2, 1_000, List.of());
        limiter.tryAcquire();
        clock.advance(Duration.ofSeconds(1));
        limiter.tryAcquire();
        clock.advance(Duration.ofSeconds(1));
        limiter.tryAcquire(); // refused
        clock.set(T0.plus(W));
        limiter.tryAcquire();

        assertEquals(List.of(T0, T0.plusSeconds(1), T0.plus(W)), recorded);
    }

    @Test
    void exhaustTodaySpendsTheRestOfTheDayUntilMidnight() {
        RateLimiter limiter = limiter(10, 500, List.of());
        limiter.tryAcquire();

        limiter.exhaustToday();

        assertEquals(500, limiter.usedToday());
        assertEquals(Optional.of(at("2024-05-02T00:00:00Z")), limiter.tryAcquire());
        clock.set(at("2024-05-02T00:00:00Z"));
        assertEquals(Optional.empty(), limiter.tryAcquire());
        assertEquals(1, limiter.usedToday());
    }

    @Test
    void aPauseRefusesPermitsUntilItEndsAndNamesItsEnd() {
        LocalRateLimiter limiter = limiter(10, 500, List.of());

        limiter.pauseUntil(T0.plusSeconds(30), "VirusTotal answered 429");

        assertEquals(Optional.of(new RateLimiter.Pause(T0.plusSeconds(30), "VirusTotal answered 429")),
                limiter.pause());
        assertEquals(Optional.of(T0.plusSeconds(30)), limiter.tryAcquire());
        clock.set(T0.plusSeconds(30).minusMillis(1));
        assertEquals(Optional.of(T0.plusSeconds(30)), limiter.tryAcquire());
        assertTrue(recorded.isEmpty(), "no permit during the pause");

        clock.set(T0.plusSeconds(30));
        assertEquals(Optional.empty(), limiter.pause(), "the pause is over at its end");
        assertEquals(Optional.empty(), limiter.tryAcquire());
        assertEquals(List.of(T0.plusSeconds(30)), recorded);
    }

    @Test
    void aShorterPauseDoesNotShortenALongerOne() {
        LocalRateLimiter limiter = limiter(10, 500, List.of());
        limiter.pauseUntil(T0.plusSeconds(600), "daily quota spent");

        limiter.pauseUntil(T0.plusSeconds(60), "429");

        assertEquals(Optional.of(new RateLimiter.Pause(T0.plusSeconds(600), "daily quota spent")), limiter.pause());
        assertEquals(Optional.of(T0.plusSeconds(600)), limiter.tryAcquire());
    }

    @Test
    void aLongerPauseExtendsTheOneInForce() {
        LocalRateLimiter limiter = limiter(10, 500, List.of());
        limiter.pauseUntil(T0.plusSeconds(60), "429");

        limiter.pauseUntil(T0.plusSeconds(600), "key rejected");

        assertEquals(Optional.of(new RateLimiter.Pause(T0.plusSeconds(600), "key rejected")), limiter.pause());
    }

    @Test
    void aPauseThatEndedIsReplacedByANewShorterOne() {
        LocalRateLimiter limiter = limiter(10, 500, List.of());
        limiter.pauseUntil(T0.plusSeconds(60), "first");
        clock.set(T0.plusSeconds(120));

        limiter.pauseUntil(T0.plusSeconds(130), "second");

        assertEquals(Optional.of(new RateLimiter.Pause(T0.plusSeconds(130), "second")), limiter.pause());
        assertEquals(Optional.of(T0.plusSeconds(130)), limiter.tryAcquire());
    }

    @Test
    void noPauseAtFirst() {
        LocalRateLimiter limiter = limiter(10, 500, List.of());

        assertEquals(Optional.empty(), limiter.pause());
        assertEquals(10, limiter.perMinute());
        assertEquals(500, limiter.perDay());
    }
}
