package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LookupStatusTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    private final MutableClock clock = new MutableClock(T0);
    private final LocalRateLimiter limiter = new LocalRateLimiter(4, 500, clock, List.of(), at -> { });
    private final LookupStatus status = new LookupStatus(true, limiter);

    @Test
    void runningWhenNothingIsWrong() {
        assertEquals("running", status.getState());
        assertNull(status.getNotice());
        assertFalse(status.isPaused());
        assertNull(status.pausedUntil());
        assertNull(status.getPausedUntilText());
    }

    @Test
    void withoutAKeyLookupsWait() {
        LookupStatus noKey = new LookupStatus(false, null);

        assertEquals("missing_key", noKey.getState());
        assertTrue(noKey.isKeyMissing());
        assertTrue(noKey.getNotice().contains("VT_API_KEY"), noKey.getNotice());
        assertEquals(Optional.empty(), noKey.pause());
    }

    @Test
    void thePauseIsReadFromTheLimiter() {
        limiter.pauseUntil(T0.plus(Duration.ofMinutes(5)), "VirusTotal answered 429 QuotaExceededError");

        assertEquals("paused", status.getState());
        assertTrue(status.isPaused());
        assertEquals(T0.plus(Duration.ofMinutes(5)), status.pausedUntil());
        assertEquals("10:05 UTC", status.getPausedUntilText());
        assertEquals("Lookups paused until 10:05 UTC: VirusTotal answered 429 QuotaExceededError.", status.getNotice());

        clock.advance(Duration.ofMinutes(5));

        assertEquals("running", status.getState());
        assertNull(status.getNotice());
    }

    @Test
    void aDailyBudgetSpentByOurOwnCountShowsAsAPauseUntilMidnight() {
        LocalRateLimiter small = new LocalRateLimiter(4, 1, clock, List.of(), at -> { });
        LookupStatus withSmallBudget = new LookupStatus(true, small);

        small.tryAcquire();

        assertEquals("paused", withSmallBudget.getState());
        assertEquals("00:00 UTC", withSmallBudget.getPausedUntilText());
        assertEquals("Lookups paused until 00:00 UTC: the day's budget (VT_REQUESTS_PER_DAY = 1) is spent.",
                withSmallBudget.getNotice());
    }

    @Test
    void aRejectedKeyIsReportedUntilAnAnswerComes() {
        status.keyRejected("WrongCredentialsError");
        limiter.pauseUntil(T0.plus(Duration.ofMinutes(10)), "key rejected");

        assertEquals("key_rejected", status.getState());
        assertTrue(status.isKeyRejected());
        String notice = status.getNotice();
        assertTrue(notice.contains("WrongCredentialsError") && notice.contains("10:10 UTC")
                && notice.contains("VT_API_KEY"), notice);

        status.answered();

        assertFalse(status.isKeyRejected());
        assertEquals("paused", status.getState(), "the pause itself lives in the limiter");
    }

    @Test
    void anUnreachableLimiterMeansNoKnownPause() {
        RateLimiter broken = new RateLimiter() {
            @Override
            public Optional<Instant> tryAcquire() {
                throw new IllegalStateException("down");
            }

            @Override
            public void pauseUntil(Instant until, String reason) {
                throw new IllegalStateException("down");
            }

            @Override
            public Optional<Pause> pause() {
                throw new IllegalStateException("down");
            }

            @Override
            public void exhaustToday() {
            }

            @Override
            public int usedThisMinute() {
                return 0;
            }

            @Override
            public int usedToday() {
                return 0;
            }

            @Override
            public int perMinute() {
                return 4;
            }

            @Override
            public int perDay() {
                return 500;
            }
        };

        LookupStatus withBrokenLimiter = new LookupStatus(true, broken);

        assertEquals("running", withBrokenLimiter.getState());
        assertNull(withBrokenLimiter.getNotice());
    }

    @Test
    void onlyQuotaErrorsSentAfterTheLastPauseEndedCount() {
        assertTrue(status.quotaErrorAfterPause("QuotaExceededError", T0));
        assertEquals(1, status.quotaStreak());
        status.quotaPauseSet(T0.plusSeconds(60));

        assertFalse(status.quotaErrorAfterPause("QuotaExceededError", T0.plusSeconds(30)),
                "sent during the pause: already in flight when it began");
        assertFalse(status.quotaErrorAfterPause("TooManyRequestsError", T0.plusSeconds(61)), "not a quota error");
        assertEquals(1, status.quotaStreak());
        assertTrue(status.quotaErrorAfterPause("QuotaExceededError", T0.plusSeconds(60)));
        assertEquals(2, status.quotaStreak());

        status.answered();

        assertEquals(0, status.quotaStreak(), "an answer ends the streak");
    }

    @Test
    void quotaErrorsOfWorkersWakingTogetherAfterAPauseCountOneStep() {
        assertTrue(status.quotaErrorAfterPause("QuotaExceededError", T0));
        assertFalse(status.quotaErrorAfterPause("QuotaExceededError", T0.plusMillis(5)),
                "a second worker's 429 before the pause it causes is set");
        assertEquals(1, status.quotaStreak());
        status.quotaPauseSet(T0.plusSeconds(60));

        Instant woke = T0.plusSeconds(60);
        assertTrue(status.quotaErrorAfterPause("QuotaExceededError", woke));
        assertFalse(status.quotaErrorAfterPause("QuotaExceededError", woke.plusMillis(1)));
        assertFalse(status.quotaErrorAfterPause("QuotaExceededError", woke.plusMillis(2)));

        assertEquals(2, status.quotaStreak(), "one step per pause");
    }
}
