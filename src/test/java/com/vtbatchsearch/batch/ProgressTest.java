package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.vtbatchsearch.lookup.LocalRateLimiter;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

    private final MutableClock clock = new MutableClock(T0);
    private final EmbeddedLookupQueue queue = new EmbeddedLookupQueue();
    @TempDir
    Path dataDir;
    private Database database;
    private BatchRepository batches;

    @BeforeEach
    void open() {
        database = Database.openSqlite(dataDir);
        batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
    }

    @AfterEach
    void close() {
        queue.close();
        database.close();
    }

    /** A batch whose hashes are all open in the database. */
    private void batch(String id, List<String> hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        hashes.forEach(h -> distinct.put(h, HashType.MD5));
        batches.create(id, T0, new ExtractedHashes(distinct, hashes.size()));
    }

    private static Duration timeFor(long lookups, int perMinute, int perDay, int usedToday, String now,
            String pausedUntil) {
        return Progress.timeFor(lookups, perMinute, perDay, usedToday, Instant.parse(now),
                pausedUntil == null ? null : Instant.parse(pausedUntil));
    }

    private static List<String> hashes(String seed, int n) {
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hashes.add(seed + "%031x".formatted(i));
        }
        return hashes;
    }

    // --- Progress.timeFor

    @Test
    void nothingToDoTakesNoTime() {
        assertEquals(Duration.ZERO, timeFor(0, 4, 500, 0, "2026-11-24T10:00:00Z", null));
    }

    @Test
    void withinTodaysBudgetEachLookupTakesItsShareOfAMinute() {
        assertEquals(Duration.ofSeconds(150), timeFor(10, 4, 500, 0, "2026-11-24T10:00:00Z", null));
        assertEquals(Duration.ofSeconds(150), timeFor(10, 4, 500, 490, "2026-11-24T10:00:00Z", null),
                "exactly the rest of the day's budget");
        assertEquals(Duration.ofSeconds(6), timeFor(60, 600, 100_000, 0, "2026-11-24T10:00:00Z", null));
    }

    @Test
    void lookupsBeyondTheMonthsBudgetWaitForTheFirstOfNextMonth() {
        Instant now = Instant.parse("2026-11-24T10:00:00Z");
        Duration untilDecember = Duration.between(now, Instant.parse("2026-12-01T00:00:00Z"));

        assertEquals(untilDecember.plusSeconds(150), Progress.timeFor(10, 4, 500, 0, 0, now, null),
                "the month is spent: all ten wait for December");
        assertEquals(untilDecember.plusSeconds(75), Progress.timeFor(10, 4, 500, 0, 5, now, null),
                "five now, five in December");
        assertEquals(Duration.ofSeconds(150), Progress.timeFor(10, 4, 500, 0, 10, now, null));
    }

    @Test
    void aPauseInForceIsWaitedOutFirst() {
        assertEquals(Duration.ofMinutes(10).plusSeconds(150),
                timeFor(10, 4, 500, 0, "2026-11-24T10:00:00Z", "2026-11-24T10:10:00Z"));
    }

    @Test
    void aPauseThatEndedCountsForNothing() {
        assertEquals(Duration.ofSeconds(150), timeFor(10, 4, 500, 0, "2026-11-24T10:00:00Z", "2026-11-24T09:00:00Z"));
    }

    @Test
    void lookupsBeyondTodaysBudgetWaitForMidnight() {
        // 5 left today; the other 5 start at 00:00 UTC
        assertEquals(Duration.ofHours(2).plusSeconds(5 * 15),
                timeFor(10, 4, 500, 495, "2026-11-24T22:00:00Z", null));
    }

    @Test
    void aSpentBudgetWaitsForMidnight() {
        assertEquals(Duration.ofHours(14).plusSeconds(10 * 15),
                timeFor(10, 4, 500, 500, "2026-11-24T10:00:00Z", null));
    }

    @Test
    void moreThanADaysBudgetTakesWholeDays() {
        // 1 200 lookups at 500 a day with today spent: two full days, then 200 on the third
        assertEquals(Duration.ofHours(14).plusDays(2).plusSeconds(200 * 15),
                timeFor(1_200, 4, 500, 500, "2026-11-24T10:00:00Z", null));
        // exactly two days' budget: the last lookup is on the second day
        assertEquals(Duration.ofHours(14).plusDays(1).plusSeconds(500 * 15),
                timeFor(1_000, 4, 500, 500, "2026-11-24T10:00:00Z", null));
    }

    @Test
    void aPauseEndingBeforeMidnightStillWaitsForTheNextDaysBudget() {
        assertEquals(Duration.ofHours(14).plusSeconds(10 * 15),
                timeFor(10, 4, 500, 500, "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z"));
    }

    // --- Progress text

    @Test
    void theEstimateInWords() {
        assertEquals("under a minute", new Progress(1, 1, 0L, null).getEtaText());
        assertEquals("about 1 min", new Progress(1, 1, 1L, null).getEtaText());
        assertEquals("about 3 min", new Progress(1, 1, 150L, null).getEtaText());
        assertEquals("about 3 h 20 min", new Progress(1, 1, 3L * 3600 + 20 * 60, null).getEtaText());
        assertEquals("about 3 days", new Progress(1, 1, 3L * 86_400, null).getEtaText());
        assertNull(new Progress(1, 1, null, null).getEtaText());
    }

    // --- BatchService.progress

    private BatchService service(LocalRateLimiter limiter) {
        return new BatchService(batches, queue, limiter, clock);
    }

    private LocalRateLimiter limiter(int perMinute, int perDay) {
        return new LocalRateLimiter(perMinute, perDay, clock, List.of(), at -> { });
    }

    @Test
    void progressCountsTheTurnsOtherBatchesTakeMeanwhile() {
        batch("large", hashes("a", 100));
        batch("small", hashes("b", 5));
        batch("mine", hashes("c", 30));

        Progress progress = service(limiter(4, 500)).progress("mine", 30);

        // ahead of my last lookup: min(100, 30) + min(5, 30) turns of the others, and my own 30
        assertEquals(65, progress.getLookupsToGo());
        assertEquals(30, progress.getOpen());
        assertEquals(65L * 15, progress.getEtaSeconds());
        assertNull(progress.getPausedUntil());
    }

    @Test
    void aSmallBatchIsNotEstimatedBehindALargeOne() {
        batch("large", hashes("a", 10_000));
        batch("mine", hashes("c", 3));

        Progress progress = service(limiter(4, 100_000)).progress("mine", 3);

        assertEquals(6, progress.getLookupsToGo());
        assertEquals(6L * 15, progress.getEtaSeconds());
    }

    @Test
    void lookupsAnsweredMeanwhileNoLongerCount() {
        batch("other", hashes("a", 10));
        batch("mine", hashes("c", 4));
        LookupRepository lookups = new LookupRepository(database);
        hashes("a", 10).subList(0, 8).forEach(h -> lookups.saveNotFound(h, T0));

        Progress progress = service(limiter(4, 500)).progress("mine", 4);

        assertEquals(2 + 4, progress.getLookupsToGo(), "the other batch has 2 open lookups left");
    }

    @Test
    void progressIncludesAPauseInForce() {
        batch("mine", hashes("c", 4));
        LocalRateLimiter limiter = limiter(4, 500);
        limiter.pauseUntil(T0.plus(Duration.ofMinutes(10)), "429");

        Progress progress = service(limiter).progress("mine", 4);

        assertEquals(600L + 4 * 15, progress.getEtaSeconds());
        assertEquals(T0.plus(Duration.ofMinutes(10)).toString(), progress.getPausedUntil());
    }

    @Test
    void progressCountsTheDailyBudgetAlreadyUsed() {
        batch("mine", hashes("c", 4));
        LocalRateLimiter limiter = limiter(4, 500);
        limiter.exhaustToday();

        Progress progress = service(limiter).progress("mine", 4);

        assertEquals(Duration.ofHours(14).plusSeconds(4 * 15).toSeconds(), progress.getEtaSeconds());
    }

    @Test
    void aBatchWithNothingOpenIsDone() {
        batch("other", hashes("a", 10));

        Progress progress = service(limiter(4, 500)).progress("mine", 0);

        assertEquals(0, progress.getLookupsToGo());
        assertEquals(0L, progress.getEtaSeconds());
    }

    @Test
    void withoutAKeyThereIsNoEstimate() {
        batch("mine", hashes("c", 4));

        Progress progress = service(null).progress("mine", 4);

        assertEquals(4, progress.getLookupsToGo());
        assertNull(progress.getEtaSeconds());
    }

    @Test
    void aPauseUntilMidnightAfterTheDailyBudgetCountsTomorrowsFreshBudget() {
        // 22:00, today's 500 spent, paused until 00:00: 10 lookups at 4 a minute take 2 h + 2.5 min.
        assertEquals(Duration.ofHours(2).plusSeconds(150),
                timeFor(10, 4, 500, 500, "2026-11-24T22:00:00Z", "2026-11-25T00:00:00Z"));
    }
}
