package com.vtbatchsearch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.AppClient;
import com.vtbatchsearch.testing.AppClient.Health;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.PostgresDatabase;
import com.vtbatchsearch.testing.RedisProcess;
import com.vtbatchsearch.testing.TcpProxy;
import com.vtbatchsearch.testing.TomcatProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The WAR on plain Tomcat with Redis and PostgreSQL that go away and come back: the app starts while
 * both are down, /health answers 503 naming what is down and 200 once it is back, and no upload
 * accepted meanwhile is lost. PostgreSQL is made unreachable through a proxy the test switches off;
 * the machine's server keeps running. The Redis server is the test's own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResilienceIT {
    private static final Duration RECOVERY = Duration.ofSeconds(60);

    private static FakeVirusTotal vt;
    private static RedisProcess redis;
    private static PostgresDatabase postgres;
    private static TcpProxy postgresProxy;
    private static TomcatProcess tomcat;
    private static AppClient app;
    private static final Set<String> uploaded = new LinkedHashSet<>();
    private static final List<String> batches = new ArrayList<>();

    @BeforeAll
    static void startWithRedisAndPostgresDown() throws Exception {
        vt = new FakeVirusTotal().perMinuteLimit(6000);
        redis = RedisProcess.start();
        redis.stop();
        postgres = PostgresDatabase.create();
        postgresProxy = new TcpProxy(PostgresDatabase.HOST, PostgresDatabase.PORT);
        tomcat = TomcatProcess.start("resilience", Map.of(
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", vt.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000",
                "VT_REQUESTS_PER_DAY", "100000",
                "REDIS_URL", redis.url(),
                "DB_URL", postgres.jdbcUrl("127.0.0.1", postgresProxy.port()),
                "DB_USER", PostgresDatabase.USER,
                "DB_PASSWORD", "not-needed-but-never-logged",
                "DATA_DIR", AppSettings.freshDataDir("resilience").toString()));
        app = new AppClient(tomcat.baseUri());
    }

    @AfterAll
    static void stopAll() {
        for (AutoCloseable c : new AutoCloseable[] {tomcat, postgresProxy, vt, redis, postgres}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        }
    }

    private static String hashes(String seed, int count) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String hash = String.format("%040x", (long) (seed.hashCode() & 0x7fffffff) * 100_000 + i);
            uploaded.add(hash);
            text.append(hash).append('\n');
        }
        return text.toString();
    }

    @Test
    @Order(1)
    void startsWhileBothAreDownAndRecoversWhenTheyReturn() throws Exception {
        Health down = app.health();
        assertEquals(503, down.status(), down.body().toString());
        assertTrue(down.isDown("database") && down.isDown("queue"), down.body().toString());
        assertFalse(down.body().path("database").path("up").asBoolean());
        assertFalse(down.body().path("queue").path("up").asBoolean());

        postgresProxy.start();
        redis.restart();

        app.awaitHealth(Health::isUp, RECOVERY);
        String id = app.upload(hashes("after-start", 50));
        batches.add(id);
        assertEquals(50, app.awaitDone(id, RECOVERY).path("counts").path("done").asInt());
    }

    @Test
    @Order(2)
    void redisGoingDownIsReportedAndUploadsMeanwhileAreLookedUpOnceItReturns() throws Exception {
        redis.stop();
        Health down = app.awaitHealth(h -> h.status() == 503, RECOVERY);
        assertTrue(down.isDown("queue"), down.body().toString());
        assertFalse(down.isDown("database"), down.body().toString());

        String id = app.upload(hashes("during-redis-outage", 40)); // stored; queued by the refill later
        batches.add(id);

        redis.restart(); // empty: what was queued is gone, the database still says pending
        app.awaitHealth(Health::isUp, RECOVERY);
        assertEquals(40, app.awaitDone(id, Duration.ofSeconds(90)).path("counts").path("done").asInt());
    }

    @Test
    @Order(3)
    void postgresGoingDownIsReportedAndTheAppRecoversWhenItReturns() throws Exception {
        postgresProxy.stop();
        Health down = app.awaitHealth(h -> h.status() == 503, RECOVERY);
        assertTrue(down.isDown("database"), down.body().toString());
        assertFalse(down.isDown("queue"), down.body().toString());
        HttpResponse<String> refused = app.http().post("/api/batches", "text/plain",
                "0123456789abcdef0123456789abcdef".getBytes());
        assertTrue(refused.statusCode() >= 500, "an upload that cannot be stored is refused: " + refused.statusCode());

        postgresProxy.start();
        app.awaitHealth(Health::isUp, RECOVERY);
        String id = app.upload(hashes("after-postgres-outage", 30));
        batches.add(id);
        assertEquals(30, app.awaitDone(id, RECOVERY).path("counts").path("done").asInt());
    }

    @Test
    @Order(4)
    void nothingWasLostAndNothingLookedUpTwice() throws Exception {
        for (String id : batches) {
            assertEquals("done", app.batch(id).path("status").asText(), "batch " + id);
        }
        assertEquals(uploaded.size(), vt.calls(), "one call per distinct hash: " + vt.callsPerHash());
        String log = tomcat.log();
        assertFalse(log.contains(FakeVirusTotal.API_KEY), "the API key is never logged");
        assertFalse(log.contains("not-needed-but-never-logged"), "the database password is never logged");
    }
}
