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
import com.vtbatchsearch.testing.TomcatProcess;
import java.net.http.HttpResponse;
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
}
