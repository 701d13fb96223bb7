package com.vtbatchsearch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.AppClient;
import com.vtbatchsearch.testing.AppClient.Health;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.BlackHole;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Migrations;
import com.vtbatchsearch.testing.PostgresDatabase;
import com.vtbatchsearch.testing.RedisProcess;
import com.vtbatchsearch.testing.TcpProxy;
import com.vtbatchsearch.testing.TomcatProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The WAR on plain Tomcat starts within {@link #START_BUDGET}, measured from launching the process to
 * the first answer of /health, whatever is down: PostgreSQL refusing connections, PostgreSQL accepting
 * them and never answering (a host that vanished), Redis down. /health says what is missing, and turns
 * 200 once it is back, with the schema migrated before the first upload is stored. Everything stays on
 * loopback: the "unreachable" database is a closed port or a listener of this test. On a machine so
 * loaded that the start with everything up takes longer than the budget, an outage may add at most the
 * budget to that start (it used to add over 20 s).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StartupIT {
    private static final Duration START_BUDGET = Duration.ofSeconds(5);
    /**
     * What an outage may add to the app's own start (Application.start, from its log) over the start
     * with everything up (before, 5 to 8 s). Tomcat's own part is the same in every case.
     */
    private static final Duration OUTAGE_ALLOWANCE = Duration.ofSeconds(3);
    /**
     * What an outage may add to a start that already takes most of {@link #START_BUDGET} (the container's
     * own deployment, on a shared machine): the bounded waits for the database and /health's first answer.
     */
    private static final Duration OUTAGE_EXTRA = Duration.ofSeconds(2);
    private static final Pattern APP_STARTED = Pattern.compile("Application.start started in (\\d+) ms");
    private static long sqliteStartMillis;
    private static long sqliteAppStartMillis;
    private static final Duration RECOVERY = Duration.ofSeconds(60);

    private static FakeVirusTotal vt;
    private static PostgresDatabase postgres;

    @BeforeAll
    static void startFakes() throws IOException {
        vt = new FakeVirusTotal().perMinuteLimit(6000);
        postgres = PostgresDatabase.create();
    }

    @AfterAll
    static void stopFakes() {
        if (vt != null) {
            vt.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static Map<String, String> settings(String name, String dbUrl) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", vt.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000",
                "VT_REQUESTS_PER_DAY", "100000",
                "DATA_DIR", AppSettings.freshDataDir(name).toString()));
        if (dbUrl != null) {
            settings.put("DB_URL", dbUrl);
            settings.put("DB_USER", PostgresDatabase.USER);
        }
        return settings;
    }

    /** Starts Tomcat and returns it once /health has answered, printing how long that took. */
    private static TomcatProcess timedStart(String name, Map<String, String> settings, List<Long> took) {
        long started = System.nanoTime();
        TomcatProcess tomcat = TomcatProcess.start(name, settings);
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        took.add(millis);
        System.out.printf("start-up, process start to first /health answer, %s: %.1f s%n", name, millis / 1000.0);
        return tomcat;
    }

    /**
     * Under {@link #START_BUDGET} from process start to /health, or {@link #OUTAGE_EXTRA} more than the
     * start with everything up when that start alone nearly fills the budget; on a machine so loaded that
     * the start with everything up takes longer than the budget, no more than {@link #START_BUDGET} beyond it.
     * In any case the app's own start may exceed the one with everything up by {@link #OUTAGE_ALLOWANCE}
     * at most.
     */
    private static void assertPrompt(long millis, TomcatProcess tomcat) {
        long allowed = sqliteStartMillis < START_BUDGET.toMillis()
                ? Math.max(START_BUDGET.toMillis(), sqliteStartMillis + OUTAGE_EXTRA.toMillis())
                : sqliteStartMillis + START_BUDGET.toMillis();
        assertTrue(millis < allowed, "started in " + millis + " ms; allowed " + allowed
                + " ms (the start on the SQLite file took " + sqliteStartMillis + " ms)");
        long appMillis = appStartMillis(tomcat);
        System.out.printf("  of which Application.start: %d ms (with everything up: %d ms)%n", appMillis,
                sqliteAppStartMillis);
        assertTrue(appMillis < sqliteAppStartMillis + OUTAGE_ALLOWANCE.toMillis(), "Application.start took "
                + appMillis + " ms; with everything up " + sqliteAppStartMillis + " ms");
    }

    private static long appStartMillis(TomcatProcess tomcat) {
        Matcher started = APP_STARTED.matcher(tomcat.log());
        assertTrue(started.find(), "the app logs how long its start took");
        return Long.parseLong(started.group(1));
    }

    @Test
    @Order(2)
    void startsPromptlyWithPostgresAndRedisRefusingAndRecoversWhenTheyAppear() throws Exception {
        List<Long> took = new CopyOnWriteArrayList<>();
        try (TcpProxy database = new TcpProxy(PostgresDatabase.HOST, PostgresDatabase.PORT);
                RedisProcess redis = RedisProcess.start()) {
            redis.stop();
            Map<String, String> settings = settings("startup-refused", postgres.jdbcUrl("127.0.0.1", database.port()));
            settings.put("REDIS_URL", redis.url());
            try (TomcatProcess tomcat = timedStart("startup-refused", settings, took)) {
                assertPrompt(took.get(0), tomcat);
                AppClient app = new AppClient(tomcat.baseUri());
                Health down = app.health();
                assertEquals(503, down.status(), down.body().toString());
                assertTrue(down.isDown("database") && down.isDown("queue"), down.body().toString());

                database.start();
                redis.restart();
                Health up = app.awaitHealth(Health::isUp, RECOVERY);
                assertTrue(up.body().path("database").path("up").asBoolean(), up.body().toString());
                String id = app.upload("44d88612fea8a8f36de82e1278abb02f\n");
                assertEquals(1, app.awaitDone(id, RECOVERY).path("counts").path("done").asInt());
                assertTrue(tomcat.log().contains("database schema at version " + Migrations.latest()), "migrated once it appeared");
                assertFalse(tomcat.log().contains("SEVERE"), tomcat.log());
            }
        }
    }

    @Test
    @Order(3)
    void startsPromptlyWithPostgresAcceptingConnectionsAndNeverAnswering() throws Exception {
        List<Long> took = new CopyOnWriteArrayList<>();
        try (BlackHole database = new BlackHole()) {
            // No Redis: the start also tries to read the call log for the in-process rate limit.
            Map<String, String> settings = settings("startup-black-hole",
                    "jdbc:postgresql://127.0.0.1:" + database.port() + "/vtbatch");
            try (TomcatProcess tomcat = timedStart("startup-black-hole", settings, took)) {
                assertPrompt(took.get(0), tomcat);
                AppClient app = new AppClient(tomcat.baseUri());
                long asked = System.nanoTime();
                Health down = app.health();
                long answeredMs = Duration.ofNanos(System.nanoTime() - asked).toMillis();
                assertEquals(503, down.status(), down.body().toString());
                assertTrue(down.isDown("database"), down.body().toString());
                assertTrue(answeredMs < 2_000, "/health answered in " + answeredMs + " ms");
                assertTrue(database.accepted() > 0, "the app did try to reach the database");
            }
        }
    }

    /** The reference: everything up, the SQLite file and a Redis. */
    @Test
    @Order(1)
    void startsWithTheSqliteFile() throws Exception {
        List<Long> took = new CopyOnWriteArrayList<>();
        Map<String, String> settings = settings("startup-sqlite", null);
        try (RedisProcess redis = RedisProcess.start()) {
            settings.put("REDIS_URL", redis.url());
            startReference(settings, took);
        }
    }

    private static void startReference(Map<String, String> settings, List<Long> took) throws Exception {
        try (TomcatProcess tomcat = timedStart("startup-sqlite", settings, took)) {
            sqliteStartMillis = took.get(0);
            sqliteAppStartMillis = appStartMillis(tomcat);
            assertEquals(200, new AppClient(tomcat.baseUri()).health().status());
        }
    }
}
