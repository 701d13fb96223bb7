package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Instances;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deleting a report over HTTP on an instance with {@code ACCESS_TOKEN} set: {@code DELETE /api/batches/{id}}
 * with a bearer token or a signed-in session (which must send the CSRF header), and the report page's
 * button, whose form needs its CSRF token and a confirmation. Other reports and the cached answers stay.
 */
@ExtendWith(ArquillianExtension.class)
class DeleteReportIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("delete-report");
    private static final String TOKEN = "delete-report-access-token-0123";
    private static final FakeVirusTotal VT = FakeVirusTotal.start();
    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "ACCESS_TOKEN", TOKEN,
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", VT.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @AfterAll
    static void stopFake() {
        VT.close();
    }

    private Http signedIn() throws Exception {
        Http browser = new Http(URI.create(base.toString()));
        assertEquals(303, browser.signIn(TOKEN).statusCode());
        return browser;
    }

    /** Uploads the hashes through the API and waits until every one is answered; returns the batch id. */
    private String answeredBatch(Http browser, String... hashes) throws Exception {
        HttpResponse<String> created = browser.post("/api/batches", "text/plain",
                String.join("\n", hashes).getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        String id = json.readTree(created.body()).path("id").asText();
        Instances.await("batch " + id + " answered", Duration.ofSeconds(30),
                () -> "done".equals(batch(browser, id).path("status").asText()));
        return id;
    }

    private JsonNode batch(Http browser, String id) {
        try {
            return json.readTree(browser.get("/api/batches/" + id).body());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String lookupStatus(String hash) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + DATA_DIR.resolve("vt-batch-search.db") + "?mode=ro");
                PreparedStatement s = c.prepareStatement("SELECT status FROM lookups WHERE hash = ?")) {
            s.setString(1, hash);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    @Test
    void theApiDeletesABatchForWhoeverHoldsTheTokenAndKeepsTheRest() throws Exception {
        Http browser = signedIn();
        String onlyInGone = Instances.sha256("api-gone", 1);
        String shared = Instances.sha256("api-shared", 1);
        String gone = answeredBatch(browser, onlyInGone, shared);
        String kept = answeredBatch(browser, shared);
        Http stranger = new Http(URI.create(base.toString()));

        HttpResponse<String> noToken = stranger.delete("/api/batches/" + gone, false, null);
        assertEquals(401, noToken.statusCode(), "a write like any other: the access token is needed");
        HttpResponse<String> deleted = stranger.delete("/api/batches/" + gone, false, TOKEN);
        assertEquals(204, deleted.statusCode(), deleted.body());
        assertEquals("", deleted.body());

        assertEquals(404, browser.get("/api/batches/" + gone).statusCode());
        assertEquals(404, browser.get("/report/" + gone).statusCode());
        HttpResponse<String> again = stranger.delete("/api/batches/" + gone, false, TOKEN);
        assertEquals(404, again.statusCode());
        assertEquals("No such batch.", json.readTree(again.body()).path("error").asText());
        assertEquals(404, stranger.delete("/api/batches/not-a-batch", false, TOKEN).statusCode());

        JsonNode other = batch(browser, kept);
        assertEquals("done", other.path("status").asText(), "the other batch is untouched");
        assertEquals(shared, other.path("items").path(0).path("hash").asText());
        assertEquals("done", lookupStatus(onlyInGone), "the answer stays cached");
        int calls = VT.calls();
        String reupload = answeredBatch(browser, onlyInGone);
        assertEquals(calls, VT.calls(), "a later upload is answered from the cache");
        assertEquals("done", batch(browser, reupload).path("items").path(0).path("status").asText());
    }

    @Test
    void aDeleteRidingOnASignedInSessionNeedsTheCsrfHeader() throws Exception {
        Http browser = signedIn();
        String id = answeredBatch(browser, Instances.sha256("session", 1));
        assertEquals(200, browser.get("/report/" + id).statusCode()); // the page the script runs on
        assertEquals(403, browser.delete("/api/batches/" + id, false, null).statusCode(), "as another site would");
        assertEquals(200, browser.get("/api/batches/" + id).statusCode(), "still there");
        assertEquals(204, browser.delete("/api/batches/" + id, true, null).statusCode());
        assertEquals(404, browser.get("/api/batches/" + id).statusCode());
    }

    @Test
    void theReportPagesButtonNeedsItsCsrfTokenAndAConfirmation() throws Exception {
        Http browser = signedIn();
        String id = answeredBatch(browser, Instances.sha256("button", 1));
        String kept = answeredBatch(browser, Instances.sha256("button-kept", 1));
        HttpResponse<String> page = browser.get("/report/" + id);
        assertTrue(page.body().contains("/report/" + id + "/delete\""), page.body());
        assertTrue(page.body().contains("Delete this report"));
        String csrf = browser.csrfToken("/report/" + id);
        String path = "/report/" + id + "/delete";

        HttpResponse<String> forged = browser.postAsCrossSiteForm(path, "application/x-www-form-urlencoded",
                "confirm=yes".getBytes(StandardCharsets.UTF_8));
        assertEquals(403, forged.statusCode(), "no token: another site's form");
        assertEquals(200, browser.get("/report/" + id).statusCode(), "still there");

        String withToken = "csrf=" + URLEncoder.encode(csrf, StandardCharsets.UTF_8);
        HttpResponse<String> asks = browser.post(path, "application/x-www-form-urlencoded",
                withToken.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, asks.statusCode(), "without script nothing asked yet: a page asks");
        assertTrue(asks.body().contains("Delete this report?"), asks.body());
        assertTrue(asks.body().contains("name=\"confirm\" value=\"yes\""), asks.body());
        assertTrue(asks.body().contains("name=\"csrf\" value=\"" + csrf + "\""), "the question carries the token on");
        assertEquals(200, browser.get("/report/" + id).statusCode(), "asking deleted nothing");

        HttpResponse<String> confirmed = browser.post(path, "application/x-www-form-urlencoded",
                (withToken + "&confirm=yes").getBytes(StandardCharsets.UTF_8));
        assertEquals(303, confirmed.statusCode(), confirmed.body());
        String home = base.getPath().endsWith("/") ? base.getPath() : base.getPath() + "/";
        assertEquals(home, confirmed.headers().firstValue("Location").orElse(null), "back to the upload page");
        assertEquals(404, browser.get("/report/" + id).statusCode());
        assertEquals(404, browser.post(path, "application/x-www-form-urlencoded",
                (withToken + "&confirm=yes").getBytes(StandardCharsets.UTF_8)).statusCode(), "gone is gone");
        assertEquals(200, browser.get("/report/" + kept).statusCode(), "other reports stay");
    }
}
