package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.LogCapture;
import com.vtbatchsearch.testing.MutableClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The budget in force, on a clock the test moves: VirusTotal's counts, the settings, and their periods. */
class QuotaAwareLimiterTest {
    private final MutableClock clock = MutableClock.at("2026-12-06T10:15:00Z");
    private final List<Instant> log = new ArrayList<>();
    private final AtomicReference<AccountQuota> answer = new AtomicReference<>();
    private final AtomicInteger reads = new AtomicInteger();

    private QuotaAwareLimiter limiter(int perHour, int perMonth) {
        LocalRateLimiter inner = new LocalRateLimiter(1000, 500, clock, List.of(), log::add);
        return new QuotaAwareLimiter(inner, () -> {
            reads.incrementAndGet();
            AccountQuota quota = answer.get();
            if (quota == null) {
                throw new IOException("HTTP 404");
            }
            return quota;
        }, from -> (int) log.stream().filter(t -> !t.isBefore(from)).count(), perHour, perMonth,
                Duration.ofMinutes(3), "test…", clock);
    }

    private static AccountQuota quota(long hourly, long hourlyUsed, long daily, long dailyUsed, long monthly,
            long monthlyUsed) {
        return new AccountQuota(counter(hourly, hourlyUsed), counter(daily, dailyUsed), counter(monthly, monthlyUsed),
                false, Instant.EPOCH);
    }

    private static AccountQuota.Counter counter(long allowed, long used) {
        return new AccountQuota.Counter(allowed >= AccountQuota.NO_CAP ? null : allowed, used);
    }

    private static int permits(RateLimiter limiter, int tries) {
        int granted = 0;
        for (int i = 0; i < tries; i++) {
            if (limiter.tryAcquire().isEmpty()) {
                granted++;
            }
        }
        return granted;
    }

    @Test
    void aSpentHourPausesUntilTheNextHourAndTheNewHourIsReadAgain() {
        answer.set(quota(3, 1, 500, 1, 15_500, 1));
        QuotaAwareLimiter limiter = limiter(0, 0);

        assertEquals(2, permits(limiter, 5));
        assertEquals(Instant.parse("2026-12-06T11:00:00Z"), limiter.pause().orElseThrow().until());
        assertTrue(limiter.pause().orElseThrow().reason().contains("hour's quota"), limiter.pause().get().reason());

        answer.set(quota(3, 0, 500, 3, 15_500, 3));
        clock.set(Instant.parse("2026-12-06T11:00:01Z"));
        int readsBefore = reads.get();
        assertEquals(3, permits(limiter, 5));
        assertTrue(reads.get() > readsBefore, "the new hour was read");
    }

    @Test
    void theSettingsHourAndMonthHoldWithoutVirusTotalsCountsAndTheFailureIsLoggedOnce() {
        try (LogCapture logs = new LogCapture()) {
            QuotaAwareLimiter limiter = limiter(0, 7);

            assertEquals(7, permits(limiter, 10));
            Instant firstOfJanuary = Instant.parse("2027-01-01T00:00:00Z");
            assertEquals(firstOfJanuary, limiter.pause().orElseThrow().until());
            assertEquals("the month's budget (VT_REQUESTS_PER_MONTH = 7) is spent", limiter.pause().get().reason());

            // A restart on a later day of the month: the pause was in memory, the call log still counts 7.
            clock.set(Instant.parse("2026-12-20T09:00:00Z"));
            QuotaAwareLimiter restarted = limiter(0, 7);
            assertEquals(0, permits(restarted, 3));
            assertEquals(firstOfJanuary, restarted.pause().orElseThrow().until());
            assertEquals(2, logs.containing("cannot be read").size(), "once per limiter: " + logs.lines());
            assertEquals("settings", limiter.meter().getSource());
            assertNull(limiter.meter().getKeyKind());
        }
    }

    @Test
    void theTighterOfSettingAndVirusTotalIsTheDaysBudgetAndOtherToolsAreCounted() {
        answer.set(quota(AccountQuota.NO_CAP, 0, 100, 90, AccountQuota.NO_CAP, 90));
        QuotaAwareLimiter limiter = limiter(0, 0);

        assertEquals(10, permits(limiter, 20));
        assertEquals(100, limiter.perDay());
        assertEquals(100, limiter.usedToday());
        assertEquals(90L, limiter.meter().getByOtherToolsToday());
        assertEquals(Optional.of(Instant.parse("2026-12-07T00:00:00Z")), limiter.pause().map(RateLimiter.Pause::until));

        clock.advance(Duration.ofHours(2)); // paused: nothing is read, and the day's reading still stands
        QuotaMeter meter = limiter.meter();
        assertEquals("virustotal", meter.getSource());
        assertEquals(new QuotaMeter.Period(100, 100L), meter.getToday());
        assertNull(meter.getHour(), "the hour's count is an earlier hour's");
        assertTrue(meter.getSummary().startsWith("100 of 100 used today, 90 by other tools"), meter.getSummary());
    }

    @Test
    void aRecheckAfterA429ThatFindsTheDaySpentPausesAtOnce() {
        answer.set(quota(AccountQuota.NO_CAP, 0, 500, 10, AccountQuota.NO_CAP, 10));
        QuotaAwareLimiter limiter = limiter(0, 0);
        assertEquals(1, permits(limiter, 1));

        answer.set(quota(AccountQuota.NO_CAP, 0, 500, 500, AccountQuota.NO_CAP, 500)); // others spent it meanwhile
        limiter.recheck();

        assertEquals(Instant.parse("2026-12-07T00:00:00Z"), limiter.pause().orElseThrow().until());
    }
}
