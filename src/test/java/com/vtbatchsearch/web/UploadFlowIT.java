package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Corpus;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Http.Part;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built WAR on embedded TomEE, driven over HTTP like a browser and an API client, against a fake
 * VirusTotal on loopback that counts calls.
 */
@ExtendWith(ArquillianExtension.class)
class UploadFlowIT {
    private static final FakeVirusTotal VT = startFake();
    private static final Path DATA_DIR = AppSettings.freshDataDir("upload-flow");
    private static final int MAX_HASHES = 5_000;
    private static final Pattern REPORT_LOCATION =
            Pattern.compile("/report/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$");
    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;

    private static FakeVirusTotal startFake() {
        try {
            return new FakeVirusTotal().perMinuteLimit(6000);
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
                "VT_REQUESTS_PER_DAY", "100000",
                "VT_RETRY_BASE_MS", "50",
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_UPLOAD_MB", "1",
                "MAX_HASHES_PER_BATCH", String.valueOf(MAX_HASHES)));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @AfterAll
    static void stopFake() {
        VT.close();
    }

    private Http http() {
        return new Http(java.net.URI.create(base.toString()));
    }

    @Test
    void corpusUploadCompletesWithOneCallPerDistinctHashAndReuploadCostsNothing() throws Exception {
        Http http = http();
        byte[] corpus = Corpus.read(Corpus.HASH_IOCS);
        int callsBefore = VT.calls();

        HttpResponse<String> upload = http.postUploadForm(Part.file("hash-iocs.txt", corpus));
        assertEquals(303, upload.statusCode(), upload.body());
        String id = reportId(upload);

        JsonNode batch = awaitDone(http, id, Duration.ofSeconds(120));
        JsonNode counts = batch.path("counts");
        assertEquals(3057, counts.path("unique").asInt());
        assertEquals(3057, counts.path("done").asInt());
        assertEquals(0, counts.path("pending").asInt());
        assertEquals(0, counts.path("errors").asInt());
        assertEquals(3057, batch.path("items").size());
        Map<String, Integer> byType = new java.util.HashMap<>();
        batch.path("items").forEach(item -> byType.merge(item.path("type").asText(), 1, Integer::sum));
        assertEquals(Map.of("md5", 989, "sha1", 893, "sha256", 1175), byType);
        String sha256 = "ce583821191345274cd954b2db7da9742c239fe413fc17dcb97ffdd7b51cb072";
        JsonNode withComment = json.readTree(http.get("/api/batches/" + id + "?q=" + sha256).body()).path("items");
        assertEquals("\u00ab" + sha256 + "\u00bb;Dark Caracal - MS Windows HtmlHelp Data",
                withComment.get(0).path("context").asText(), "each hash keeps its HASH;COMMENT line");
        batch.path("items").forEach(item -> assertTrue(
                item.path("context").asText().contains("\u00ab" + item.path("hash").asText() + "\u00bb"), item.toString()));
        assertEquals(3057, VT.calls() - callsBefore, "one VirusTotal call per distinct hash");
        assertEquals(0, VT.rateLimitedCalls(), "no call beyond the fake's 6,000 a minute");

        HttpResponse<String> again = http.postUploadForm(Part.file("hash-iocs.txt", corpus));
        assertEquals(303, again.statusCode());
        String secondId = reportId(again);
        assertNotEquals(id, secondId, "every upload gets its own report");
        JsonNode second = json.readTree(http.get("/api/batches/" + secondId).body());
        assertEquals("done", second.path("status").asText(), "cached hashes show at once");
        assertEquals(3057, second.path("counts").path("done").asInt());
        assertEquals(3057, VT.calls() - callsBefore, "a re-upload costs no call");
    }

    @Test
    void reportShowsVerdictsEscapedWithVirusTotalLinks() throws Exception {
        Http http = http();
        String md5 = "0123456789abcdef0123456789abcdef";
        String sha256 = "a".repeat(63) + "1";
        VT.script(md5, FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson(sha256, md5, "b".repeat(40), 42,
                "<script>alert(1)</script>", "evil\"name<b>.exe")));
        String notFound = "c".repeat(40);
        VT.script(notFound, FakeVirusTotal.notFound(notFound));

        HttpResponse<String> upload = http.postUploadForm(
                Part.text("first " + md5.toUpperCase() + "\r\nthen " + notFound + ", again " + md5));
        assertEquals(303, upload.statusCode(), upload.body());
        String id = reportId(upload);
        JsonNode batch = awaitDone(http, id, Duration.ofSeconds(30));
        assertEquals(3, batch.path("counts").path("found").asInt());
        assertEquals(2, batch.path("counts").path("unique").asInt());
        assertEquals(1, batch.path("counts").path("notFound").asInt());
        assertEquals(1, batch.path("counts").path("malicious").asInt());
        JsonNode first = batch.path("items").get(0);
        assertEquals(md5, first.path("hash").asText());
        assertEquals("done", first.path("status").asText());
        assertEquals(42, first.path("malicious").asInt());
        assertEquals(42 + 1 + 27, first.path("total").asInt());
        assertEquals(sha256, first.path("sha256").asText());
        assertEquals("https://www.virustotal.com/gui/file/" + sha256, first.path("vtUrl").asText());
        assertEquals("2017-07-14T02:40:00Z", first.path("firstSeen").asText());
        assertEquals("not_found", batch.path("items").get(1).path("status").asText());

        HttpResponse<String> page = http.get("/report/" + id);
        assertEquals(200, page.statusCode());
        String html = page.body();
        assertFalse(html.contains("<script>alert(1)</script>"), "threat label must be escaped");
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assertTrue(html.contains("evil&#034;name&lt;b&gt;.exe"));
        assertTrue(html.contains("https://www.virustotal.com/gui/file/" + sha256));
        assertTrue(html.contains("42/70"));
        assertTrue(html.contains("not on VirusTotal"));
        assertFalse(html.contains("http-equiv=\"refresh\""), "a finished report stops refreshing");
        assertFalse(html.contains(FakeVirusTotal.API_KEY));
    }

    @Test
    void apiCreatesBatchFromPlainTextAndAnswersJson() throws Exception {
        Http http = http();
        String sha1 = "d".repeat(39) + "0";
        HttpResponse<String> created = http.post("/api/batches", "text/plain; charset=UTF-8",
                ("ioc: " + sha1 + "\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        JsonNode body = json.readTree(created.body());
        String id = body.path("id").asText();
        assertEquals(1, body.path("found").asInt());
        assertEquals(1, body.path("unique").asInt());
        assertTrue(body.path("reportUrl").asText().endsWith("/report/" + id));
        assertTrue(created.headers().firstValue("Location").orElseThrow().endsWith("/api/batches/" + id));
        JsonNode batch = awaitDone(http, id, Duration.ofSeconds(30));
        assertEquals(sha1, batch.path("items").get(0).path("hash").asText());
        assertTrue(batch.path("createdAt").asText().endsWith("Z"));
        assertFalse(created.body().contains(FakeVirusTotal.API_KEY));
    }

    @Test
    void badUploadsGetTheirStatusAndStoreNothing() throws Exception {
        Http http = http();
        long batchesBefore = countBatches();

        HttpResponse<String> tooLarge = http.postUploadForm(
                Part.file("big.txt", ("x".repeat(1023) + "\n").repeat(1100).getBytes(StandardCharsets.UTF_8)));
        assertEquals(413, tooLarge.statusCode());
        assertTrue(tooLarge.body().contains("larger than the limit of 1 MB"), tooLarge.body());

        byte[] binary = {'M', 'Z', 0, 0, 3, 0, 0, 0};
        HttpResponse<String> bin = http.postUploadForm(Part.file("a.exe", binary));
        assertEquals(415, bin.statusCode());
        assertTrue(bin.body().contains("binary"));

        HttpResponse<String> none = http.postUploadForm(Part.text("no hashes here, only "
                + "a".repeat(31) + " and " + "b".repeat(65)));
        assertEquals(422, none.statusCode());
        assertTrue(none.body().contains("MD5 (32 hex digits), SHA-1 (40) and SHA-256 (64)"), none.body());

        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= MAX_HASHES; i++) {
            many.append(String.format("%032x", i + 1)).append('\n');
        }
        HttpResponse<String> tooMany = http.postUploadForm(Part.file("many.txt",
                many.toString().getBytes(StandardCharsets.UTF_8)));
        assertEquals(413, tooMany.statusCode());
        assertTrue(tooMany.body().contains("more than 5000 distinct hashes"), tooMany.body());

        HttpResponse<String> apiNone = http().post("/api/batches", "text/plain", "nothing".getBytes(StandardCharsets.UTF_8));
        assertEquals(422, apiNone.statusCode());
        assertTrue(json.readTree(apiNone.body()).path("error").asText().startsWith("No hash found"));

        HttpResponse<String> apiBinary = http().post("/api/batches", "text/plain", binary);
        assertEquals(415, apiBinary.statusCode());
        assertTrue(json.readTree(apiBinary.body()).has("error"));

        HttpResponse<String> wrongType = http().post("/api/batches", "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(415, wrongType.statusCode());

        assertEquals(batchesBefore, countBatches(), "rejected uploads store nothing");
    }

    @Test
    void unknownOrMalformedIdsAre404NeverAnError() throws Exception {
        Http http = http();
        for (String id : new String[] {"00000000-0000-4000-8000-000000000000", "not-a-uuid",
            "00000000-0000-4000-8000-00000000000", "00000000-0000-4000-8000-000000000000x",
            "00000000-0000-4000-8000-00000000000A", "x/y", "%20"}) {
            HttpResponse<String> page = http.get("/report/" + id);
            assertEquals(404, page.statusCode(), "report " + id);
            assertTrue(page.body().contains("No such report"), page.body());
            HttpResponse<String> api = http.get("/api/batches/" + id);
            assertEquals(404, api.statusCode(), "api " + id);
            assertEquals("No such batch.", json.readTree(api.body()).path("error").asText());
        }
        // Tomcat itself answers an encoded slash or NUL (400) and a dot-segment (normalised away,
        // 302 to the form) before the app sees the request: never a 5xx.
        for (String id : new String[] {"..%2F..%2Fetc", "%00", ".."}) {
            int status = http.get("/report/" + id).statusCode();
            assertTrue(status == 400 || status == 404 || status == 302, id + " gave " + status);
        }
    }

    @Test
    void pageViewsCostNoSessionTheFormTokenLivesInACookie() throws Exception {
        HttpResponse<String> form = http().get("/");
        List<String> cookies = form.headers().allValues("Set-Cookie");
        String csrf = cookies.stream().filter(c -> c.startsWith("vtbs-csrf=")).findFirst()
                .orElseThrow(() -> new AssertionError("no CSRF cookie: " + cookies));
        assertTrue(csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict"), csrf);
        assertTrue(form.body().contains("name=\"csrf\" value=\"" + csrf.substring("vtbs-csrf=".length(),
                csrf.indexOf(';')) + "\""), "the form carries the cookie's token");
        assertTrue(cookies.stream().noneMatch(c -> c.startsWith("JSESSIONID")), "a page view made a session: " + cookies);
    }

    @Test
    void uploadFormAndHealthAnswer() throws Exception {
        Http http = http();
        HttpResponse<String> form = http.get("/");
        assertEquals(200, form.statusCode());
        assertTrue(form.body().contains("name=\"file\""));
        assertTrue(form.body().contains("name=\"text\""));
        assertTrue(form.body().contains("Up to 1 MB"));
        HttpResponse<String> health = http.get("/health");
        assertEquals(200, health.statusCode());
        JsonNode state = json.readTree(health.body());
        assertEquals("up", state.path("status").asText());
        assertEquals("running", state.path("lookups").path("state").asText());
        assertEquals("managed", state.path("worker").path("executor").asText(),
                "on TomEE the workers run on the managed executor");
        assertEquals(2, state.path("worker").path("running").asInt(), "both default workers run");
    }

    private String reportId(HttpResponse<String> upload) {
        String location = upload.headers().firstValue("Location").orElseThrow();
        Matcher m = REPORT_LOCATION.matcher(location);
        assertTrue(m.find(), location);
        return m.group(1);
    }

    private JsonNode awaitDone(Http http, String id, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode batch;
        do {
            HttpResponse<String> response = http.get("/api/batches/" + id);
            assertEquals(200, response.statusCode(), response.body());
            batch = json.readTree(response.body());
            if ("done".equals(batch.path("status").asText())) {
                return batch;
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("batch " + id + " not done in " + timeout + ": " + batch.path("counts"));
    }

    private static long countBatches() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + DATA_DIR.resolve("vt-batch-search.db"));
                ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM batches")) {
            return r.getLong(1);
        }
    }
}
