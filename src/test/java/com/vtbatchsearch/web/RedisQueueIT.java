package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.queue.RedisLookupQueue;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Http.Part;
import com.vtbatchsearch.testing.RedisProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.JedisPooled;

/** The WAR on embedded TomEE with its lookup queue in a real Redis server that the test starts. */
@ExtendWith(ArquillianExtension.class)
class RedisQueueIT {
    private static final FakeVirusTotal VT = startFake();
    private static final RedisProcess REDIS = RedisProcess.start();

    @ArquillianResource
    private URL base;

    private static FakeVirusTotal startFake() {
        try {
            return new FakeVirusTotal();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", VT.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000",
                "REDIS_URL", REDIS.url(),
                "DATA_DIR", AppSettings.freshDataDir("redis-queue").toString()));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @AfterAll
    static void stopServers() {
        VT.close();
        REDIS.close();
    }

    @Test
    void lookupsGoThroughRedisAndEachHashCostsOneCall() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        ObjectMapper json = new ObjectMapper();
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 200; i++) {
            text.append(String.format("%064x", i)).append(i % 3 == 0 ? "\r\n" : " ; ");
            if (i % 10 == 0) {
                text.append(String.format("%064x", i)).append('\n'); // a duplicate
            }
        }
        int callsBefore = VT.calls();
        HttpResponse<String> created = http.postMultipart("/api/batches", Part.file("iocs.txt",
                text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(201, created.statusCode(), created.body());
        String id = json.readTree(created.body()).path("id").asText();
        assertEquals(220, json.readTree(created.body()).path("found").asInt());

        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        JsonNode batch = json.readTree(http.get("/api/batches/" + id).body());
        while (!"done".equals(batch.path("status").asText()) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            batch = json.readTree(http.get("/api/batches/" + id).body());
        }
        assertEquals("done", batch.path("status").asText(), batch.path("counts").toString());
        assertEquals(200, batch.path("counts").path("done").asInt());
        assertEquals(200, VT.calls() - callsBefore);

        String healthText = http.get("/health").body();
        JsonNode health = json.readTree(healthText);
        assertEquals("redis", health.path("queue").path("kind").asText());
        assertFalse(healthText.contains("127.0.0.1") || healthText.contains(":" + REDIS.port()),
                "the open health page names no address: " + healthText);
        try (JedisPooled redis = new JedisPooled("127.0.0.1", REDIS.port())) {
            awaitNoBatchQueued(redis); // the batch leaves at its next turn, finding nothing open
            assertEquals(0, redis.hlen(RedisLookupQueue.DEFAULT_PREFIX + "cursors"), "no cursor left behind");
        }
    }

    @Test
    void extraPlacesOfABatchInTheSharedQueueCostNoCall() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        ObjectMapper json = new ObjectMapper();
        String hash = "e".repeat(32);
        HttpResponse<String> created = http.post("/api/batches", "text/plain",
                hash.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode());
        String id = json.readTree(created.body()).path("id").asText();
        // Another instance (or an earlier run) gave the batch more places in the rotation.
        try (JedisPooled redis = new JedisPooled("127.0.0.1", REDIS.port())) {
            redis.rpush(RedisLookupQueue.DEFAULT_PREFIX + "batches", id, id);
            awaitNoBatchQueued(redis);
        }
        assertEquals("done", json.readTree(http.get("/api/batches/" + id).body()).path("status").asText());
        assertEquals(1, VT.calls(hash), "a batch queued three times looks its hash up once");
    }

    private static void awaitNoBatchQueued(JedisPooled redis) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (redis.llen(RedisLookupQueue.DEFAULT_PREFIX + "batches") > 0) {
            assertTrue(Instant.now().isBefore(deadline), "queue not drained");
            Thread.sleep(50);
        }
    }
}
