package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class UploadThrottleTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T10:00:00Z"));

    private void upload(UploadThrottle throttle, String client, int newHashes) {
        try (UploadThrottle.Ticket ticket = throttle.admit(client)) {
            ticket.spendNewHashes(newHashes);
            ticket.commit();
        }
    }

    @Test
    void batchesPerHourAreCountedPerClientInASlidingHour() {
        UploadThrottle throttle = new UploadThrottle(2, 1_000, clock);
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
        UploadThrottle throttle = new UploadThrottle(1, 100, clock);
        try (UploadThrottle.Ticket ticket = throttle.admit("c")) {
            ticket.spendNewHashes(60);
            // no commit: the upload failed after extraction
        }
        assertDoesNotThrow(() -> upload(throttle, "c", 100), "slot and hashes were given back");
    }

    @Test
    void newHashesPerDayAreCheckedBeforeTheBatchIsStored() {
        UploadThrottle throttle = new UploadThrottle(100, 100, clock);
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
        UploadThrottle throttle = new UploadThrottle(100, 100, clock);
        try (UploadThrottle.Ticket ticket = throttle.admit("c")) {
            UploadThrottle.ThrottledException e = assertThrows(UploadThrottle.ThrottledException.class,
                    () -> ticket.spendNewHashes(101));
            assertTrue(e.getMessage().contains("Split it into smaller files"), e.getMessage());
            assertEquals(86_400, e.retryAfterSeconds());
        }
    }
}
