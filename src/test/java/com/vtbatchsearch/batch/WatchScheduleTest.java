package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Watched batches are re-checked on their schedule, driven by a test clock, and wait while first lookups are pending. */
class WatchScheduleTest {
    @TempDir
    Path dataDir;

    private final MutableClock clock = MutableClock.at("2026-12-01T08:00:00Z");
    private Database database;
    private LookupRepository lookups;
    private BatchService batches;
    private WatchSchedule schedule;

    @BeforeEach
    void open() {
        database = Database.openSqlite(dataDir);
        lookups = new LookupRepository(database);
        BatchRepository repository = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        batches = new BatchService(repository, new RecheckRepository(database), new EmbeddedLookupQueue(), null, clock, 3);
        schedule = new WatchSchedule(batches, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    /** Answers every open lookup of these hashes as "not on VirusTotal", as a worker would. */
    private void answer(List<String> hashes) {
        hashes.forEach(hash -> lookups.saveNotFound(hash, clock.instant()));
    }

    private String upload(List<String> hashes) {
        String id = batches.submit(Instances.hashes(hashes)).id();
        answer(hashes);
        return id;
    }

    private String startedAt(String id) {
        return batches.recheckState(id).orElseThrow().getStartedAt();
    }

    @Test
    void dailyAndWeeklyBatchesAreRecheckedOnTheirSchedule() {
        List<String> dailyHashes = List.of(Instances.sha256("daily", 1), Instances.sha256("daily", 2));
        List<String> weeklyHashes = List.of(Instances.sha256("weekly", 1));
        String daily = upload(dailyHashes);
        String weekly = upload(weeklyHashes);
        String unwatched = upload(List.of(Instances.sha256("unwatched", 1)));
        assertTrue(batches.watch(daily, Recheck.Watch.DAILY));
        assertTrue(batches.watch(weekly, Recheck.Watch.WEEKLY));
        assertEquals("daily", batches.recheckState(daily).orElseThrow().getWatch());

        clock.advance(Duration.ofHours(23));
        assertEquals(0, schedule.runOnce(), "not due before a day has passed");
        clock.advance(Duration.ofHours(2));
        assertEquals(1, schedule.runOnce());
        assertEquals(clock.instant().toString(), startedAt(daily));
        assertTrue(batches.recheckState(daily).orElseThrow().isRunning());
        assertNull(startedAt(weekly));
        assertNull(startedAt(unwatched));
        assertEquals(2, batches.freshCounts(daily).orElseThrow().getRefreshing(), "every answer is looked up again");
        assertEquals(0, schedule.runOnce(), "a running re-check is not started again");

        answer(dailyHashes);
        assertTrue(batches.finishRecheck(daily).isPresent());
        Instant firstRecheck = clock.instant();
        clock.advance(Duration.ofHours(23));
        assertEquals(0, schedule.runOnce());
        clock.advance(Duration.ofHours(2));
        assertEquals(1, schedule.runOnce(), "due a day after the last re-check started");
        assertFalse(startedAt(daily).equals(firstRecheck.toString()));
        answer(dailyHashes);
        batches.finishRecheck(daily);

        clock.advance(Duration.ofDays(5)); // a week after the upload
        assertEquals(2, schedule.runOnce(), "the weekly batch, and the daily one again");
        assertEquals(clock.instant().toString(), startedAt(weekly));
        assertNull(startedAt(unwatched));

        assertTrue(batches.watch(daily, null));
        answer(dailyHashes);
        answer(weeklyHashes);
        batches.finishRecheck(daily);
        batches.finishRecheck(weekly);
        clock.advance(Duration.ofDays(2));
        assertEquals(0, schedule.runOnce(), "no longer watched; the weekly one not due yet");
        assertFalse(batches.watch("00000000-0000-0000-0000-000000000000", Recheck.Watch.DAILY));
        assertThrows(IllegalArgumentException.class, () -> Recheck.Watch.parse("hourly"));
    }

    @Test
    void watchedRechecksWaitWhileABatchWaitsForItsFirstAnswers() {
        String watched = upload(List.of(Instances.sha256("watched", 1)));
        batches.watch(watched, Recheck.Watch.DAILY);
        clock.advance(Duration.ofHours(25));
        String newHash = Instances.sha256("new", 1);
        batches.submit(Instances.hashes(List.of(newHash))); // waits for its first answer

        assertEquals(0, schedule.runOnce(), "first lookups go first");
        assertNull(startedAt(watched));
        clock.advance(Duration.ofHours(1));
        assertEquals(0, schedule.runOnce(), "still waiting");

        answer(List.of(newHash));
        clock.advance(Duration.ofHours(1));
        assertEquals(1, schedule.runOnce(), "once no first answer is awaited, the watched batch is re-checked");
        assertEquals(clock.instant().toString(), startedAt(watched));
    }
}
