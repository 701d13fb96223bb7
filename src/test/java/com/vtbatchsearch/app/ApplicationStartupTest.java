package com.vtbatchsearch.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.BlackHole;
import com.vtbatchsearch.testing.FakeVirusTotal;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Application#start} does not wait for a database or a Redis that is down: a refused port, or
 * a listener that accepts and never answers (a vanished host), costs at most the one-second look at
 * the database the in-process rate limit makes, and the database's health check answers within a second.
 */
class ApplicationStartupTest {
    private static final Duration BUDGET = Duration.ofMillis(2_500);

    @TempDir
    Path dataDir;

    private Map<String, String> settings(String dbUrl, String redisUrl) {
        Map<String, String> settings = new HashMap<>();
        settings.put("VT_API_KEY", FakeVirusTotal.API_KEY);
        settings.put("VT_BASE_URL", "http://127.0.0.1:9/api/v3");
        settings.put("DATA_DIR", dataDir.toString());
        if (dbUrl != null) {
            settings.put("DB_URL", dbUrl);
            settings.put("DB_USER", "postgres");
        }
        if (redisUrl != null) {
            settings.put("REDIS_URL", redisUrl);
        }
        return settings;
    }

    private static long timedStart(String what, Map<String, String> settings, boolean databaseUp) {
        long started = System.nanoTime();
        try (Application app = Application.start(AppConfig.from(settings), Clock.systemUTC())) {
            long startMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
            long asked = System.nanoTime();
            boolean healthy = app.database().isHealthy();
            long healthMs = Duration.ofNanos(System.nanoTime() - asked).toMillis();
            System.out.printf("Application.start, %s: %d ms; database health check: %d ms%n", what, startMs, healthMs);
            assertTrue(healthy == databaseUp, what + ": database up " + healthy);
            assertTrue(healthMs < 1_500, what + ": the health check took " + healthMs + " ms");
            return startMs;
        }
    }

    @Test
    void startsPromptlyWhateverIsDown() throws Exception {
        timedStart("SQLite (warm-up)", settings(null, null), true);
        try (BlackHole postgres = new BlackHole(); BlackHole redis = new BlackHole()) {
            int closed = closedPort();
            List<String> slow = new CopyOnWriteArrayList<>();
            Map<String, Map<String, String>> cases = new LinkedHashMap<>();
            cases.put("PostgreSQL and Redis refusing", settings("jdbc:postgresql://127.0.0.1:" + closed + "/vtbatch",
                    "redis://127.0.0.1:" + closed));
            cases.put("PostgreSQL and Redis never answering", settings("jdbc:postgresql://127.0.0.1:" + postgres.port()
                    + "/vtbatch", "redis://127.0.0.1:" + redis.port()));
            // Without Redis the in-process rate limit reads the call log: the one wait, bounded to a second.
            cases.put("PostgreSQL refusing", settings("jdbc:postgresql://127.0.0.1:" + closed + "/vtbatch", null));
            cases.put("PostgreSQL never answering", settings("jdbc:postgresql://127.0.0.1:" + postgres.port()
                    + "/vtbatch", null));
            cases.forEach((what, settings) -> {
                long ms = timedStart(what, settings, false);
                if (ms >= BUDGET.toMillis()) {
                    slow.add(what + ": " + ms + " ms");
                }
            });
            assertTrue(slow.isEmpty(), "slower than " + BUDGET + ": " + slow);
            assertFalse(postgres.accepted() == 0, "the app did try to reach the database");
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
