package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Http;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A refresh of stale answers queues new lookups, so it is charged to the client's daily budget of new
 * lookups like an upload: over budget, the API and the report page's form answer 429 with
 * {@code Retry-After} and the reason, and nothing is queued. No API key: nothing is looked up, so the
 * lookups the test marks stale stay as they are until it looks.
 */
@ExtendWith(ArquillianExtension.class)
class RefreshBudgetIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("refresh-budget");
    private static final List<String> HASHES = List.of("a1".repeat(16), "b2".repeat(16), "c3".repeat(16));

    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "5"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @Test
    void aRefreshIsChargedToTheClientsBudgetOfNewLookups() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        HttpResponse<String> created = http.post("/api/batches", "text/plain",
                String.join("\n", HASHES).getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        String id = json.readTree(created.body()).path("id").asText();
        // 3 of 5 spent. Three answers "not on VirusTotal" from long ago: a refresh would queue 3 lookups.
        sql("UPDATE lookups SET status = 'not_found', updated_at = 0");

        HttpResponse<String> api = http.post("/api/batches/" + id + "/refresh", "text/plain", new byte[0]);
        assertEquals(429, api.statusCode(), api.body());
        assertTrue(json.readTree(api.body()).path("error").asText().startsWith(
                "This refresh would queue 3 new lookups; your address may queue 5 a day and has 2 left."), api.body());
        assertTrue(Long.parseLong(api.headers().firstValue("Retry-After").orElse("0")) > 23 * 3600);
        assertEquals(0, refreshing(), "nothing queued");

        String csrf = http.csrfToken("/report/" + id);
        HttpResponse<String> form = http.post("/report/" + id + "/refresh", "application/x-www-form-urlencoded",
                ("csrf=" + URLEncoder.encode(csrf, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        assertEquals(429, form.statusCode());
        assertTrue(form.headers().firstValue("Retry-After").isPresent());
        assertTrue(form.body().contains("This refresh would queue 3 new lookups"), form.body());
        assertTrue(form.body().contains(id), "the report again, with the reason");
        assertEquals(0, refreshing(), "nothing queued");

        // Two stale answers fit the 2 left, and spend them: an upload of one new hash is then refused.
        sql("UPDATE lookups SET updated_at = " + System.currentTimeMillis() + " WHERE hash = '" + HASHES.get(0) + "'");
        HttpResponse<String> fits = http.post("/api/batches/" + id + "/refresh", "text/plain", new byte[0]);
        assertEquals(202, fits.statusCode(), fits.body());
        assertEquals(2, json.readTree(fits.body()).path("queued").asInt());
        assertEquals(2, refreshing());
        HttpResponse<String> upload = http.post("/api/batches", "text/plain",
                "d4".repeat(16).getBytes(StandardCharsets.UTF_8));
        assertEquals(429, upload.statusCode(), "the refresh spent the budget: " + upload.body());

        // A re-check is charged the same way: over budget it starts nothing and queues nothing.
        HttpResponse<String> recheck = http.post("/api/batches/" + id + "/recheck", "text/plain", new byte[0]);
        assertEquals(429, recheck.statusCode(), recheck.body());
        assertTrue(recheck.headers().firstValue("Retry-After").isPresent());
        assertEquals(2, refreshing(), "nothing more queued");
        assertTrue(json.readTree(http.get("/api/batches/" + id).body()).path("recheck").path("startedAt").isNull());
    }

    private static int refreshing() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + DATA_DIR.resolve("vt-batch-search.db"));
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM lookups WHERE refresh = 1")) {
            return r.getInt(1);
        }
    }

    private static void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + DATA_DIR.resolve("vt-batch-search.db"));
                Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            s.execute(statement);
        }
    }
}
