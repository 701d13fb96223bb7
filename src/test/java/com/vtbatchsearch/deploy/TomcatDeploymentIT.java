package com.vtbatchsearch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.vtbatchsearch.testing.AppClient;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Corpus;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Http.Part;
import com.vtbatchsearch.testing.RawHttp;
import com.vtbatchsearch.testing.TomcatProcess;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built WAR, unchanged, on a real plain Tomcat 10.1 (the zip from Maven Central), configured
 * through environment variables: pages render through the JSTL shipped in the WAR, the worker runs on
 * the app's own executor, and an upload is looked up and reported.
 */
class TomcatDeploymentIT {
    private static final Pattern REPORT = Pattern.compile("/report/([0-9a-f-]{36})$");

    private static FakeVirusTotal vt;
    private static TomcatProcess tomcat;
    private static AppClient app;

    @BeforeAll
    static void deploy() throws Exception {
        vt = new FakeVirusTotal().perMinuteLimit(6000);
        tomcat = TomcatProcess.start("tomcat-deployment", Map.of(
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", vt.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000",
                "VT_REQUESTS_PER_DAY", "100000",
                "DATA_DIR", AppSettings.freshDataDir("tomcat").toString()));
        app = new AppClient(tomcat.baseUri());
    }

    @AfterAll
    static void undeploy() {
        if (tomcat != null) {
            tomcat.close();
        }
        if (vt != null) {
            vt.close();
        }
    }

    @Test
    void uploadThroughTheFormIsLookedUpAndReportedOnPlainTomcat() throws Exception {
        HttpResponse<String> form = app.http().get("/");
        assertEquals(200, form.statusCode(), form.body());
        assertTrue(form.body().contains("name=\"file\""), "the upload form renders");

        HttpResponse<String> upload = app.http().postUploadForm(
                Part.file("hash-iocs.txt", Corpus.read(Corpus.HASH_IOCS)));
        assertEquals(303, upload.statusCode(), upload.body());
        Matcher location = REPORT.matcher(upload.headers().firstValue("Location").orElseThrow());
        assertTrue(location.find(), upload.headers().toString());
        String id = location.group(1);

        JsonNode batch = app.awaitDone(id, Duration.ofSeconds(120));
        assertEquals(3057, batch.path("counts").path("unique").asInt());
        assertEquals(3057, batch.path("counts").path("done").asInt());
        assertEquals(3057, vt.calls(), "one VirusTotal call per distinct hash");
        assertEquals(0, vt.rateLimitedCalls());

        HttpResponse<String> page = app.http().get("/report/" + id);
        assertEquals(200, page.statusCode(), page.body());
        String html = page.body();
        String first = batch.path("items").get(0).path("hash").asText();
        assertTrue(html.contains(first), "the report lists the hashes (JSTL c:forEach ran)");
        assertTrue(html.contains("https://www.virustotal.com/gui/file/"), "links are built by the page");
        assertFalse(html.contains("<c:") || html.contains("${"), "no tag or expression left unrendered");
        assertFalse(html.contains("http-equiv=\"refresh\""), "a finished report stops refreshing");
    }

    @Test
    void anOverLimitUploadWrittenWholeBeforeReadingGetsIts413OnPlainTomcat() throws Exception {
        long body = 11L * 1024 * 1024; // over the default limit of 10 MB, past Tomcat's 2 MB maxSwallowSize
        RawHttp.Answer answer = new RawHttp(tomcat.baseUri().toURL()).sendThenRead("POST /api/batches HTTP/1.1\n"
                + "Host: localhost\nContent-Type: text/plain\nContent-Length: " + body + "\n",
                RawHttp.repeated("no hash here\n".getBytes(StandardCharsets.US_ASCII), body), Duration.ofSeconds(30));
        assertTrue(answer.bytesSent() > body, "the whole body went out: " + answer.bytesSent() + " bytes");
        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains("larger than the limit of 10 MB"), answer.text());
    }

    @Test
    void healthShowsTheWorkerOnTheAppsOwnExecutor() throws Exception {
        AppClient.Health health = app.health();

        assertEquals(200, health.status(), health.body().toString());
        assertEquals("up", health.body().path("status").asText());
        assertEquals("own", health.body().path("worker").path("executor").asText(),
                "plain Tomcat has no managed executor");
        assertTrue(health.body().path("worker").path("running").asBoolean());
        assertEquals("sqlite", health.body().path("database").path("kind").asText());
        assertEquals("embedded", health.body().path("queue").path("kind").asText());
        assertEquals(6000, health.body().path("lookups").path("perMinute").asInt());
    }

    @Test
    void theLogHasOneLinePerEventAndNeverTheApiKey() throws Exception {
        app.upload("d41d8cd98f00b204e9800998ecf8427e");
        String log = tomcat.log();
        List<String> appLines = tomcat.appLogLines();

        assertFalse(log.contains(FakeVirusTotal.API_KEY), "the API key must never be logged");
        assertTrue(appLines.stream().anyMatch(l -> l.contains("lookup worker")), log);
        assertFalse(log.contains("\tat com.vtbatchsearch"), "no stack traces of the app");
        assertFalse(log.contains("SEVERE"), "nothing went wrong:\n" + log);
        assertFalse(log.contains("No suitable driver"), log);
        // HikariCP logs through SLF4J: its lines reach the container's log through the WAR's JUL provider
        assertFalse(log.contains("Defaulting to no-operation"), log);
        assertTrue(log.contains("vt-batch-search-db - Start completed."), log);
    }

    @Test
    void malformedDbUrlAndRedisUrlStopTheStartWithAMessageNamingEachSetting() throws Exception {
        TomcatProcess broken = TomcatProcess.startExpectingAppFailure("tomcat-bad-settings", Map.of(
                "DB_URL", "postgres://db.internal/vtbatch",
                "REDIS_URL", "redis.internal:6379",
                "DATA_DIR", AppSettings.freshDataDir("tomcat-bad").toString()));
        try (broken) {
            List<String> severe = broken.appLogLines().stream().filter(l -> l.contains("SEVERE")).toList();

            assertEquals(1, severe.size(), broken.log());
            assertTrue(severe.get(0).contains("cannot start") && severe.get(0).contains("DB_URL")
                    && severe.get(0).contains("REDIS_URL"), severe.get(0));
            assertEquals(404, new AppClient(broken.baseUri()).http().get("/health").statusCode(),
                    "the application did not start");
        }
        // Tomcat names each JDBC driver the app left registered: it would keep the app's class loader.
        assertFalse(broken.log().contains("failed to unregister"), broken.log());
    }

    @Test
    void dotSegmentsAre400AndErrorsAreTheAppsOwnOnPlainTomcat() throws Exception {
        RawHttp raw = new RawHttp(tomcat.baseUri().toURL());
        String root = tomcat.baseUri().getPath().replaceAll("/$", "");
        String host = "Host: 127.0.0.1:" + tomcat.port() + "\nConnection: close\n";
        byte[] hash = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        for (String spelling : new String[] {"/static/../api/batches", "/static/%2e%2e/api/batches", "/static/..;/api/batches",
            "//api/batches", "/api;x/batches"}) {
            RawHttp.Answer answer = raw.exchange("POST " + root + spelling + " HTTP/1.1\n" + host
                    + "Content-Type: text/plain\nContent-Length: " + hash.length + "\n", out -> out.write(hash),
                    Duration.ofSeconds(20));
            assertEquals(400, answer.status(), spelling + ": " + answer.text());
            assertTrue(answer.text().contains("{\"error\":"), spelling + ": " + answer.text());
        }
        for (String request : new String[] {"PUT /api/batches", "GET /api/no-such-thing", "TRACE /api/batches",
            "PUT /", "GET /no-such-page", "GET /report/%2F", "GET /report/%00"}) {
            String[] parts = request.split(" ");
            RawHttp.Answer answer = raw.exchange(parts[0] + " " + root + parts[1] + " HTTP/1.1\n" + host,
                    out -> { }, Duration.ofSeconds(20));
            assertTrue(answer.status() >= 400, request + ": " + answer.text());
            assertFalse(answer.text().contains("Tomcat"), request + " names the server: " + answer.text());
            if (parts[1].startsWith("/api/")) {
                assertTrue(answer.text().contains("{\"error\":"), request + ": " + answer.text());
            }
        }
    }
}
