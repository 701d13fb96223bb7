package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.MutableClock;
import com.vtbatchsearch.testing.SharedRedis;
import com.vtbatchsearch.throttle.ClientChargeRepository;
import com.vtbatchsearch.throttle.RedisThrottleStore;
import com.vtbatchsearch.throttle.ThrottleStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The throttle's rules, with its counts in each store it can use: the database (SQLite here) and Redis. */
@ParameterizedClass(name = "{0}")
@EnumSource(UploadThrottleTest.Store.class)
class UploadThrottleTest {
    enum Store { DATABASE, REDIS }

    @RegisterExtension
    static final SharedRedis REDIS = new SharedRedis();

    @Parameter
    Store kind;

    @TempDir
    Path dataDir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T10:00:00Z"));
    private Database database;
    private ThrottleStore store;

    @BeforeEach
    void open() {
        if (kind == Store.DATABASE) {
            database = Database.openSqlite(dataDir);
            store = new ClientChargeRepository(database);
        } else {
            store = new RedisThrottleStore(REDIS.pool(), "vt-batch-search-test:" + UUID.randomUUID() + ":");
        }
    }

    @AfterEach
    void close() {
        if (database != null) {
            database.close();
        }
    }

    private UploadThrottle throttle(int batchesPerHour, int newHashesPerDay) {
        return new UploadThrottle(batchesPerHour, newHashesPerDay, store, clock);
    }

    private void upload(UploadThrottle throttle, String client, int newHashes) {
        try (UploadThrottle.Ticket ticket = throttle.admit(client)) {
            ticket.spendNewHashes(newHashes);
            ticket.commit();
        }
    }

    @Test
    void batchesPerHourAreCountedPerClientInASlidingHour() {
        UploadThrottle throttle = throttle(2, 1_000);
        upload(throttle, "10.0.0.1", 1);
        clock.advance(Duration.ofMinutes(10));
        upload(throttle, "10.0.0.1", 1);
        UploadThrottle.ThrottledException e = assertThrows(UploadThrottle.ThrottledException.class,
                () -> throttle.admit("10.0.0.1"));
        assertEquals(429, e.status());
        assertEquals(50 * 60, e.retryAfterSeconds(), "the first batch leaves the window at 11:00");
        assertTrue(e.getMessage().contains("at most 2 batches an hour. Come back after 11:00 UTC."), e.getMessage());
        assertDoesNotThrow(() -> upload(throttle, "10.0.0.2", 1), "another client has its own budget");
        clock.advance(Duration.ofMinutes(50));
        assertDoesNotThrow(() -> upload(throttle, "10.0.0.1", 1));
    }

    @Test
    void aRejectedOrFailedBatchGivesItsSlotAndHashesBack() {
        UploadThrottle throttle = throttle(1, 100);
        try (UploadThrottle.Ticket ticket = throttle.admit("c")) {
            ticket.spendNewHashes(60);
            // no commit: the upload failed after extraction
        }
        assertDoesNotThrow(() -> upload(throttle, "c", 100), "slot and hashes were given back");
    }

    @Test
    void newHashesPerDayAreCheckedBeforeTheBatchIsStored() {
        UploadThrottle throttle = throttle(100, 100);
        upload(throttle, "c", 70);
        clock.advance(Duration.ofHours(2));
        upload(throttle, "c", 20);
        try (UploadThrottle.Ticket ticket = throttle.admit("c")) {
            UploadThrottle.ThrottledException e = assertThrows(UploadThrottle.ThrottledException.class,
                    () -> ticket.spendNewHashes(11));
            assertTrue(e.getMessage().contains("has 10 left"), e.getMessage());
            assertEquals(22 * 3600, e.retryAfterSeconds(), "room again when the 70 leave the 24 h window");
            assertTrue(e.getMessage().contains("Come back after 10:00 UTC"), e.getMessage());
        }
        assertDoesNotThrow(() -> upload(throttle, "c", 10), "the refused batch took nothing");
        assertDoesNotThrow(() -> upload(throttle, "c", 0), "cached hashes cost nothing");
        clock.advance(Duration.ofHours(22));
        assertDoesNotThrow(() -> upload(throttle, "c", 70));
    }

    @Test
    void aBatchLargerThanADaysBudgetIsToldToSplit() {
        UploadThrottle throttle = throttle(100, 100);
        try (UploadThrottle.Ticket ticket = throttle.admit("c")) {
            UploadThrottle.ThrottledException e = assertThrows(UploadThrottle.ThrottledException.class,
                    () -> ticket.spendNewHashes(101));
            assertTrue(e.getMessage().contains("Split it into smaller files"), e.getMessage());
            assertEquals(86_400, e.retryAfterSeconds());
        }
    }

    @Test
    void aStoreThatCannotBeReachedLetsUploadsThrough() {
        ThrottleStore broken = new ThrottleStore() {
            @Override
            public Charge charge(String client, Window window, int amount, Instant now) {
                throw new IllegalStateException("store down");
            }

            @Override
            public void refund(Charge charge) {
                throw new IllegalStateException("store down");
            }
        };
        UploadThrottle throttle = new UploadThrottle(1, 1, broken, clock);
        assertDoesNotThrow(() -> upload(throttle, "c", 5));
        assertDoesNotThrow(() -> upload(throttle, "c", 5), "fail open: no count, no refusal, no error");
        try (UploadThrottle.Ticket ticket = throttle.admit("c")) {
            assertDoesNotThrow(() -> ticket.spendNewHashes(5));
        }
    }

    @Test
    void twoThrottlesOnOneStoreShareTheBudgetAsTwoInstancesDo() {
        UploadThrottle first = throttle(3, 1_000);
        UploadThrottle second = throttle(3, 1_000);
        upload(first, "c", 1);
        upload(second, "c", 1);
        upload(first, "c", 1);
        assertThrows(UploadThrottle.ThrottledException.class, () -> second.admit("c"));
        assertThrows(UploadThrottle.ThrottledException.class, () -> first.admit("c"));
    }
}
