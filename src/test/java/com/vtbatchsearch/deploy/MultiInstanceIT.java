package com.vtbatchsearch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.vtbatchsearch.testing.AppClient;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.PostgresDatabase;
import com.vtbatchsearch.testing.RedisProcess;
import com.vtbatchsearch.testing.TomcatProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two instances of the WAR, each on its own Tomcat and port, sharing one Redis (the queue) and one
 * PostgreSQL database (batches and the answer cache): what one stores the other shows, and between
 * them each hash costs one VirusTotal call.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiInstanceIT {
    private static FakeVirusTotal vt;
    private static RedisProcess redis;
    private static PostgresDatabase postgres;
    private static TomcatProcess tomcatA;
    private static TomcatProcess tomcatB;
    private static AppClient a;
    private static AppClient b;
    private static final Set<String> uploaded = new LinkedHashSet<>();

    @BeforeAll
    static void startTwoInstances() throws Exception {
        vt = new FakeVirusTotal().perMinuteLimit(6000);
        redis = RedisProcess.start();
        postgres = PostgresDatabase.create();
        CompletableFuture<TomcatProcess> first = CompletableFuture.supplyAsync(() ->
                TomcatProcess.start("instance-a", settings("a")));
        CompletableFuture<TomcatProcess> second = CompletableFuture.supplyAsync(() ->
                TomcatProcess.start("instance-b", settings("b")));
        tomcatA = first.join();
        tomcatB = second.join();
        a = new AppClient(tomcatA.baseUri());
        b = new AppClient(tomcatB.baseUri());
        // A worker's first idle poll refills the queue from the database, then not again for 30 s; let
        // both pass it before uploading, so these tests are about sharing work, not about that refill.
        Thread.sleep(2_000);
    }

    private static Map<String, String> settings(String instance) {
        return Map.of(
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", vt.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000",
                "VT_REQUESTS_PER_DAY", "100000",
                "REDIS_URL", redis.url(),
                "DB_URL", postgres.jdbcUrl(),
                "DB_USER", PostgresDatabase.USER,
                "DATA_DIR", AppSettings.freshDataDir("instance-" + instance).toString());
    }

    @AfterAll
    static void stopAll() {
        for (AutoCloseable c : new AutoCloseable[] {tomcatA, tomcatB, vt, redis, postgres}) {
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
            String hash = String.format("%064x", (long) (seed.hashCode() & 0x7fffffff) * 100_000 + i);
            uploaded.add(hash);
            text.append("ioc ").append(hash).append('\n');
        }
        return text.toString();
    }

    @Test
    @Order(1)
    void bothInstancesUseTheSharedDatabaseAndQueue() throws Exception {
        for (AppClient app : List.of(a, b)) {
            AppClient.Health health = app.health();
            assertEquals(200, health.status(), health.body().toString());
            assertEquals("postgresql", health.body().path("database").path("kind").asText());
            assertEquals("redis", health.body().path("queue").path("kind").asText());
            assertEquals("own", health.body().path("worker").path("executor").asText());
        }
    }

    @Test
    @Order(2)
    void aBatchUploadedToOneInstanceIsReadableCompleteFromTheOther() throws Exception {
        String id = a.upload(hashes("first", 400));

        JsonNode fromB = b.awaitDone(id, Duration.ofSeconds(60));
        assertEquals(400, fromB.path("counts").path("unique").asInt());
        assertEquals(400, fromB.path("counts").path("done").asInt());
        JsonNode fromA = a.batch(id);
        assertEquals(fromA.path("items"), fromB.path("items"), "both instances show the same report");
        assertEquals(200, b.http().get("/report/" + id).statusCode());
    }

    @Test
    @Order(3)
    void overlappingBatchesOnBothInstancesLookEachHashUpOnce() throws Exception {
        String shared = hashes("shared", 300);
        List<String> ids = new ArrayList<>();
        CompletableFuture<String> onA = CompletableFuture.supplyAsync(() -> upload(a, shared + hashes("only-a", 150)));
        CompletableFuture<String> onB = CompletableFuture.supplyAsync(() -> upload(b, hashes("only-b", 150) + shared));
        ids.add(onA.join());
        ids.add(onB.join());

        b.awaitDone(ids.get(0), Duration.ofSeconds(60));
        a.awaitDone(ids.get(1), Duration.ofSeconds(60));
        Map<String, Integer> repeated = new HashMap<>();
        vt.callsPerHash().forEach((hash, calls) -> {
            if (calls != 1) {
                repeated.put(hash, calls);
            }
        });
        assertEquals(Map.of(), repeated, "hashes looked up more than once");
        assertEquals(uploaded.size(), vt.calls(), "one call per distinct hash across both instances");
    }

    @Test
    @Order(4)
    void togetherTheyStayWithinTheLookupLimit() throws Exception {
        String id = b.upload(hashes("limit", 200));
        a.awaitDone(id, Duration.ofSeconds(60));

        assertEquals(0, vt.rateLimitedCalls(), "VirusTotal (the fake, at 6,000 a minute) never answered 429");
        assertEquals(uploaded.size(), vt.calls());
    }

    private static String upload(AppClient app, String text) {
        try {
            return app.upload(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
