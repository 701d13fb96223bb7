package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallLogPrunerTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

    @TempDir
    Path dataDir;

    @Test
    void deletesTheCallsOlderThanTheLimitersReachAndKeepsTheRest() {
        try (Database database = Database.openSqlite(dataDir)) {
            CallLogRepository callLog = new CallLogRepository(database);
            Instant old = NOW.minus(CallLogPruner.KEEP).minusMillis(1);
            Instant kept = NOW.minus(CallLogPruner.KEEP);
            callLog.record(old);
            callLog.record(kept);
            callLog.record(NOW.minus(Duration.ofHours(1)));

            new CallLogPruner(callLog, new MutableClock(NOW)).run();

            assertEquals(List.of(kept, NOW.minus(Duration.ofHours(1))), callLog.since(Instant.EPOCH));
        }
    }

    @Test
    void aDatabaseThatIsAwayDoesNotStopTheSchedule() {
        Database database = Database.openSqlite(dataDir);
        CallLogPruner pruner = new CallLogPruner(new CallLogRepository(database), new MutableClock(NOW));
        database.close();
        assertDoesNotThrow(pruner::run, "a scheduled task that throws is never run again");
        assertDoesNotThrow(pruner::run);
    }
}
