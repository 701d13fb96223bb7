package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppDatabase;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Http.Part;
import com.vtbatchsearch.testing.RawHttp;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An instance without {@code ACCESS_TOKEN}: its API refuses writes that a browser marks as sent by
 * another site's page while curl and scripts keep working, its forms need their CSRF token whatever their
 * encoding, and every error is the app's own (JSON under {@code /api/}), naming no server.
 */
@ExtendWith(ArquillianExtension.class)
class OpenInstanceIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("open-instance");
    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_BATCHES_PER_HOUR_PER_CLIENT", "100000",
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "1000000"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    private Http http() {
        return new Http(URI.create(base.toString()));
    }

    private HttpResponse<String> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(http().uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, "POST".equals(method) || "PUT".equals(method)
                        ? HttpRequest.BodyPublishers.ofString("0123456789abcdef0123456789abcdef")
                        : HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postText(String path, String... headers) throws Exception {
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = "text/plain";
        System.arraycopy(headers, 0, all, 2, headers.length);
        return send("POST", path, all);
    }

    private String createBatch() throws Exception {
        HttpResponse<String> created = postText("/api/batches");
        assertEquals(201, created.statusCode(), created.body());
        return json.readTree(created.body()).path("id").asText();
    }

    private static long batches() throws Exception {
        return AppDatabase.count(DATA_DIR, "batches");
    }

    private String host() {
        return base.getHost() + ":" + base.getPort();
    }

    @Test
    void anotherSitesPageCannotWriteToTheApiButScriptsCan() throws Exception {
        String id = createBatch();
        long before = batches();
        for (String[] crossSite : new String[][] {{"Origin", "https://evil.example"}, {"Sec-Fetch-Site", "cross-site"},
            {"Origin", "null"}, {"Sec-Fetch-Site", "same-site"}, {"Origin", "http://" + base.getHost() + ":1"}}) {
            for (String path : new String[] {"/api/batches", "/api/batches/" + id + "/refresh"}) {
                HttpResponse<String> forged = postText(path, crossSite);
                assertEquals(403, forged.statusCode(), String.join(": ", crossSite) + " " + path + " " + forged.body());
                assertEquals(CsrfFilter.CROSS_SITE_MESSAGE, json.readTree(forged.body()).path("error").asText());
            }
        }
        assertEquals(before, batches(), "no forged post stored a batch");
        assertEquals(201, postText("/api/batches").statusCode(), "curl sends neither header");
        assertEquals(201, postText("/api/batches", "Origin", "http://" + host()).statusCode(), "this site's page");
        assertEquals(201, postText("/api/batches", "Sec-Fetch-Site", "same-origin", "Origin", "http://" + host())
                .statusCode());
        assertEquals(202, postText("/api/batches/" + id + "/refresh").statusCode());
        assertEquals(200, send("GET", "/api/batches/" + id, "Sec-Fetch-Site", "cross-site").statusCode(),
                "reading is no write (a cross-site page cannot read the answer)");
    }

    @Test
    void aFormThatChangesSomethingNeedsItsTokenWhateverItsEncoding() throws Exception {
        String id = createBatch();
        Http browser = http();
        String token = browser.csrfToken("/"); // the refresh button shows only beside stale answers
        HttpResponse<String> multipart = browser.postMultipart("/report/" + id + "/refresh", Part.text("x"));
        assertEquals(403, multipart.statusCode(), "a multipart refresh without the token: " + multipart.body());
        HttpResponse<String> multipartWithToken = browser.postMultipart("/report/" + id + "/refresh",
                new Part("csrf", null, token.getBytes(StandardCharsets.UTF_8)));
        assertEquals(403, multipartWithToken.statusCode(), "only the upload form reads a multipart body");
        HttpResponse<String> plain = browser.postAsCrossSiteForm("/report/" + id + "/refresh", "text/plain",
                ("csrf=" + token).getBytes(StandardCharsets.UTF_8));
        assertEquals(403, plain.statusCode(), "a text/plain body is no form");
        HttpResponse<String> form = browser.post("/report/" + id + "/refresh", "application/x-www-form-urlencoded",
                ("csrf=" + token).getBytes(StandardCharsets.UTF_8));
        assertEquals(303, form.statusCode(), "the page's own form: " + form.body());
    }

    @Test
    void everyApiErrorIsJsonAndNoAnswerNamesTheServer() throws Exception {
        String id = createBatch();
        String[][] cases = {{"PUT", "/api/batches", "405"}, {"DELETE", "/api/batches/" + id + "/nothing", "404"},
            {"PUT", "/api/batches/" + id, "405"}, {"GET", "/api/nothing-here", "404"}, {"GET", "/api/", "404"},
            {"POST", "/api/nothing-here", "404"}, {"GET", "/api/batches/" + id + "/nothing", "404"}};
        for (String[] c : cases) {
            HttpResponse<String> answer = send(c[0], c[1], "Content-Type", "text/plain");
            String what = c[0] + " " + c[1] + ": " + answer.body();
            assertEquals(Integer.parseInt(c[2]), answer.statusCode(), what);
            assertTrue(answer.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), what);
            assertFalse(json.readTree(answer.body()).path("error").asText().isEmpty(), what);
            assertNamesNoServer(answer, what);
        }
        for (String path : new String[] {"api/batches", "api/batches/" + id, ""}) {
            for (String method : new String[] {"PATCH", "TRACE", "PROPFIND"}) {
                RawHttp.Answer answer = new RawHttp(base).exchange(method + " " + base.getPath() + path + " HTTP/1.1\n"
                        + "Host: " + host() + "\nConnection: close\n", out -> { }, Duration.ofSeconds(20));
                String what = method + " /" + path + ": " + answer.text();
                assertTrue(answer.status() >= 400, what);
                assertFalse(answer.text().toLowerCase(Locale.ROOT).contains("tomcat")
                        || answer.text().toLowerCase(Locale.ROOT).contains("tomee"), what);
                assertTrue(path.isEmpty() || answer.text().contains("{\"error\":"), what);
            }
        }
        for (String[] c : new String[][] {{"PUT", "/"}, {"DELETE", "/report/" + id}, {"GET", "/no-such-page"}}) {
            HttpResponse<String> page = send(c[0], c[1]);
            // a PUT or DELETE without the form's token is refused before it could be a 405
            assertTrue(page.statusCode() == 403 || page.statusCode() == 404, c[0] + " " + c[1] + ": " + page.statusCode());
            assertTrue(page.body().contains("VT Batch Search"), page.body());
            assertNamesNoServer(page, c[0] + " " + c[1]);
        }
    }

    @Test
    void aDatabaseErrorIsAJson500UnderTheApiAndAPageElsewhere() throws Exception {
        String id = createBatch();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + DATA_DIR.resolve("vt-batch-search.db"));
                Statement s = c.createStatement()) {
            s.execute("ALTER TABLE batch_items RENAME TO batch_items_away");
            try {
                HttpResponse<String> api = send("GET", "/api/batches/" + id);
                assertEquals(500, api.statusCode(), api.body());
                JsonNode error = json.readTree(api.body());
                assertEquals("Something went wrong on the server. Try again later.", error.path("error").asText());
                assertFalse(api.body().contains("batch_items"), "no SQL in the answer");
                assertNamesNoServer(api, "api");
                HttpResponse<String> page = send("GET", "/report/" + id);
                assertEquals(500, page.statusCode());
                assertTrue(page.body().contains("Something went wrong on the server"), page.body());
                assertFalse(page.body().contains("does not exist") || page.body().contains("batch_items"), page.body());
                assertNamesNoServer(page, "page");
            } finally {
                s.execute("ALTER TABLE batch_items_away RENAME TO batch_items");
            }
        }
        assertEquals(200, send("GET", "/api/batches/" + id).statusCode());
    }

    private static void assertNamesNoServer(HttpResponse<String> answer, String what) {
        String text = (answer.headers().map() + answer.body()).toLowerCase(Locale.ROOT);
        assertFalse(text.contains("tomcat") || text.contains("tomee"), what + " names the server: " + text);
    }
}
