package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.vtbatchsearch.app.AppConfig;
import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.PostgresDatabase;
import com.vtbatchsearch.testing.RedisProcess;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole app instances (the container's wiring, without the container) whose per-client budget of 3
 * batches an hour is kept where all of them see it: in a shared Redis, or without Redis in a shared
 * database, and across a restart.
 */
class SharedUploadThrottleIT {
    private static final String CLIENT = "203.0.113.7";

    @TempDir
    Path dataDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** An instance without an API key (no workers: only uploads matter here) and its throttle, wired as AppListener does. */
    private UploadThrottle instance(String dir, String... settings) {
        Map<String, String> all = new HashMap<>();
        all.put("DATA_DIR", dataDir.resolve(dir).toString());
        all.put("MAX_BATCHES_PER_HOUR_PER_CLIENT", "3");
        for (int i = 0; i + 1 < settings.length; i += 2) {
            all.put(settings[i], settings[i + 1]);
        }
        Application app = Instances.start(all);
        toClose.add(app);
        AppConfig config = app.config();
        return new UploadThrottle(config.maxBatchesPerHourPerClient(), config.maxNewHashesPerDayPerClient(),
                app.throttleStore(), Clock.systemUTC());
    }

    private static void upload(UploadThrottle throttle) {
        try (UploadThrottle.Ticket ticket = throttle.admit(CLIENT)) {
            ticket.spendNewHashes(1);
            ticket.commit();
        }
    }

    private static void assertThrottled(UploadThrottle throttle) {
        UploadThrottle.ThrottledException e = assertThrows(UploadThrottle.ThrottledException.class,
                () -> throttle.admit(CLIENT), "the client's 4th upload in the hour");
        assertEquals(429, e.status());
    }

    private RedisProcess redis() {
        RedisProcess redis = RedisProcess.start();
        toClose.add(redis);
        return redis;
    }

    @Test
    void twoInstancesOnOneRedisShareTheBudget() {
        RedisProcess redis = redis();
        // Separate SQLite files: only Redis is shared, so only Redis can hold the count.
        UploadThrottle a = instance("a", "REDIS_URL", redis.url());
        UploadThrottle b = instance("b", "REDIS_URL", redis.url());
        upload(a);
        upload(b);
        upload(a);
        assertThrottled(b);
        assertThrottled(a);
    }

    @Test
    void twoInstancesOnOnePostgresDatabaseWithoutRedisShareTheBudget() {
        PostgresDatabase postgres = PostgresDatabase.create();
        toClose.add(postgres);
        String[] db = {"DB_URL", postgres.jdbcUrl(), "DB_USER", PostgresDatabase.USER};
        UploadThrottle a = instance("a", db);
        UploadThrottle b = instance("b", db);
        upload(b);
        upload(a);
        upload(b);
        assertThrottled(a);
        assertThrottled(b);
    }

    @Test
    void aRestartKeepsTheCountInTheSqliteFile() throws Exception {
        UploadThrottle before = instance("one");
        upload(before);
        upload(before);
        toClose.remove(toClose.size() - 1).close();
        UploadThrottle after = instance("one");
        upload(after);
        assertThrottled(after);
    }

    @Test
    void aRestartKeepsTheCountInRedis() throws Exception {
        RedisProcess redis = redis();
        UploadThrottle before = instance("one", "REDIS_URL", redis.url());
        upload(before);
        upload(before);
        toClose.remove(toClose.size() - 1).close();
        UploadThrottle after = instance("fresh-database", "REDIS_URL", redis.url());
        upload(after);
        assertThrottled(after);
    }

    @Test
    void withRedisDownUploadsAreLetThroughAndCountedAgainWhenItIsBack() {
        RedisProcess redis = redis();
        UploadThrottle throttle = instance("one", "REDIS_URL", redis.url());
        upload(throttle);
        redis.stop();
        for (int i = 0; i < 4; i++) {
            assertDoesNotThrow(() -> upload(throttle), "fail open while the budget cannot be counted");
        }
        redis.restart();
        upload(throttle);
        upload(throttle);
        upload(throttle);
        assertThrottled(throttle);
    }
}
