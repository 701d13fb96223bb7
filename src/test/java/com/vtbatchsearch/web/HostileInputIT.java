package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Http.Part;
import com.vtbatchsearch.testing.RawHttp;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile and malformed requests against the built WAR: each gets its status and a message that says
 * what was wrong, and leaves the database and the queue as they were. No API key is set, so nothing
 * drains the queue and its length is exact.
 */
@ExtendWith(ArquillianExtension.class)
class HostileInputIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("hostile-input");
    private static final int MAX_MB = 24;
    private static final String MD5 = "0123456789abcdef0123456789abcdef";
    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;
    private State before;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_UPLOAD_MB", String.valueOf(MAX_MB),
                "MAX_HASHES_PER_BATCH", "1000",
                "MAX_BATCHES_PER_HOUR_PER_CLIENT", "100000",
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "1000000"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    /** Rows in the database and entries in the queue. */
    private record State(long batches, long items, long lookups, long queued) {
    }

    private State state() throws Exception {
        JsonNode health = json.readTree(http().get("/health").body());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:"
                + DATA_DIR.resolve("vt-batch-search.db") + "?mode=ro")) {
            return new State(count(c, "batches"), count(c, "batch_items"), count(c, "lookups"),
                    health.path("queue").path("length").asLong(-1));
        }
    }

    private static long count(Connection c, String table) throws SQLException {
        try (ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
            return r.getLong(1);
        }
    }

    @BeforeEach
    void remember() throws Exception {
        before = state();
    }

    /** Every test here sends only rejected requests, unless it says otherwise. */
    @AfterEach
    void nothingStored() throws Exception {
        assertEquals(before, state(), "a rejected request changes neither the database nor the queue");
    }

    private Http http() {
        return new Http(URI.create(base.toString()));
    }

    private RawHttp raw() {
        return new RawHttp(base);
    }

    private String path(String p) {
        String root = base.getPath().endsWith("/") ? base.getPath().substring(0, base.getPath().length() - 1) : base.getPath();
        return root + p;
    }

    private String error(HttpResponse<String> response) throws IOException {
        return json.readTree(response.body()).path("error").asText();
    }

    @Test
    void anUploadThatNeverEndsIsRejectedAtTheLimit() throws Exception {
        byte[] chunk = ("x".repeat(1023) + "\n").repeat(64).getBytes(StandardCharsets.US_ASCII);
        long endless = 2L * 1024 * 1024 * 1024;
        RawHttp.Answer answer = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nTransfer-Encoding: chunked\n", RawHttp.chunkedForever(chunk, endless),
                Duration.ofSeconds(60));
        System.out.println("HostileInputIT: endless text/plain body answered " + answer.status() + " after "
                + answer.bytesSent() / (1024 * 1024) + " MB sent, in " + answer.elapsed().toMillis() + " ms");
        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains("larger than the limit of " + MAX_MB + " MB"), answer.text());
        // read and discarded up to 4 x the limit so a client that writes before it reads gets the answer
        assertTrue(answer.bytesSent() < 5L * MAX_MB * 1024 * 1024,
                "answered after " + answer.bytesSent() + " bytes, not after the whole body");

        RawHttp.Answer form = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: multipart/form-data; boundary=b\nTransfer-Encoding: chunked\n",
                out -> {
                    String head = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n";
                    out.write((Integer.toHexString(head.length()) + "\r\n" + head + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    RawHttp.chunkedForever(chunk, endless).write(out);
                }, Duration.ofSeconds(60));
        assertEquals(413, form.status(), form.text());
        assertTrue(form.text().contains("larger than the limit of " + MAX_MB + " MB"), form.text());
        assertTrue(form.bytesSent() < 5L * MAX_MB * 1024 * 1024, "answered after " + form.bytesSent() + " bytes");
    }

    @Test
    void anUploadDeclaredFarOverTheLimitIsRejectedBeforeItsBodyIsRead() throws Exception {
        RawHttp.Answer answer = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nContent-Length: 10737418240\n", out -> out.write(MD5.getBytes()),
                Duration.ofSeconds(20));
        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains("larger than the limit"), answer.text());
    }

    @Test
    void thousandsOfMultipartPartsAreRefused() throws Exception {
        Part[] parts = new Part[5_000];
        Arrays.setAll(parts, i -> new Part("field" + i, null, "v".getBytes(StandardCharsets.US_ASCII)));
        HttpResponse<String> response = http().postMultipart("/api/batches", parts);
        assertEquals(413, response.statusCode(), response.body());
        assertEquals("The form has more than 50 parts. Send one 'file' part and/or one 'text' part.", error(response));
    }

    @Test
    void aMissingOrMisnamedPartIsA400() throws Exception {
        HttpResponse<String> misnamed = http().postMultipart("/api/batches",
                new Part("files", "iocs.txt", MD5.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(400, misnamed.statusCode(), misnamed.body());
        assertEquals("Nothing was uploaded: choose a file or paste text.", error(misnamed));

        HttpResponse<String> noParts = http().post("/api/batches", "multipart/form-data; boundary=b",
                "--b--\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(400, noParts.statusCode(), noParts.body());
        assertTrue(error(noParts).startsWith("Nothing was uploaded"), noParts.body());

        HttpResponse<String> noBoundary = http().post("/api/batches", "multipart/form-data",
                ("--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n" + MD5 + "\r\n--b--\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
        assertEquals(400, noBoundary.statusCode(), noBoundary.body());
        assertTrue(error(noBoundary).startsWith("The upload is not a readable multipart form"), noBoundary.body());
    }

    @Test
    void wrongContentTypesAre415() throws Exception {
        for (String type : new String[] {"application/json", "application/x-www-form-urlencoded",
            "application/octet-stream", "image/png", "text/html"}) {
            HttpResponse<String> response = http().post("/api/batches", type, MD5.getBytes(StandardCharsets.US_ASCII));
            assertEquals(415, response.statusCode(), type);
            assertTrue(error(response).startsWith("Send multipart/form-data"), type + ": " + response.body());
        }
        Http browser = http();
        String token = browser.csrfToken("/");
        HttpResponse<String> form = browser.post("/upload", "application/x-www-form-urlencoded",
                ("csrf=" + token + "&text=" + MD5).getBytes(StandardCharsets.US_ASCII));
        assertEquals(415, form.statusCode(), form.body());
        assertTrue(form.body().contains("Send the form as multipart/form-data"), form.body());
    }

    @Test
    void invalidUtf8WithoutAHashIsA422() throws Exception {
        byte[] invalid = {(byte) 0xC3, 0x28, (byte) 0xA0, (byte) 0xA1, (byte) 0xE2, 0x28, (byte) 0xA1,
            (byte) 0xF0, (byte) 0x90, 0x28, (byte) 0xBC, (byte) 0xFF, '\n', (byte) 0xC0, (byte) 0xAF};
        HttpResponse<String> response = http().post("/api/batches", "text/plain; charset=UTF-8", invalid);
        assertEquals(422, response.statusCode(), response.body());
        assertTrue(error(response).startsWith("No hash found."), response.body());
    }

    @Test
    void tenMillionLinesWithoutAHashAreA422() throws Exception {
        long lines = 10_000_000;
        long start = System.nanoTime();
        RawHttp.Answer answer = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nContent-Length: " + (2 * lines) + "\n", out -> {
                    byte[] block = "x\n".repeat(50_000).getBytes(StandardCharsets.US_ASCII);
                    for (long i = 0; i < lines / 50_000; i++) {
                        out.write(block);
                    }
                }, Duration.ofSeconds(120));
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("HostileInputIT: 10,000,000 lines without a hash answered " + answer.status()
                + " in " + millis + " ms");
        assertEquals(422, answer.status(), answer.text());
        assertTrue(answer.text().contains("No hash found."), answer.text());
        assertTrue(answer.bytesSent() >= 2 * lines, "the whole body was read: " + answer.bytesSent());
    }

    @Test
    void veryLongLinesAreReadInFullWithoutAHashBeingLost() throws Exception {
        HttpResponse<String> noHash = http().post("/api/batches", "text/plain",
                "z".repeat(20 * 1024 * 1024).getBytes(StandardCharsets.US_ASCII));
        assertEquals(422, noHash.statusCode(), noHash.body());
        assertTrue(error(noHash).startsWith("No hash found."));

        HttpResponse<String> tooLong = http().post("/api/batches", "text/plain",
                "z".repeat(MAX_MB * 1024 * 1024 + 1).getBytes(StandardCharsets.US_ASCII));
        assertEquals(413, tooLong.statusCode(), tooLong.body());
        assertEquals("The upload is larger than the limit of " + MAX_MB + " MB.", error(tooLong));
    }

    @Test
    void aHashInsideAVeryLongLineIsFound() throws Exception {
        String line = "z".repeat(10 * 1024 * 1024) + " " + MD5 + " " + "z".repeat(10 * 1024 * 1024);
        HttpResponse<String> created = http().post("/api/batches", "text/plain",
                line.getBytes(StandardCharsets.US_ASCII));
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(1, json.readTree(created.body()).path("unique").asInt());
        before = state(); // this one is accepted on purpose
    }

    @Test
    void fileNamesWithTraversalOrMarkupAreNeverUsedNorEchoed() throws Exception {
        Http browser = http();
        String name = "../../../../tmp/evil\"><script>alert(1)</script>.txt";
        HttpResponse<String> upload = browser.postUploadForm(Part.file(name, ("ioc " + MD5).getBytes(StandardCharsets.US_ASCII)));
        assertEquals(303, upload.statusCode(), upload.body());
        String report = upload.headers().firstValue("Location").orElseThrow();
        String id = report.substring(report.lastIndexOf('/') + 1);
        String page = browser.get("/report/" + id).body();
        String api = browser.get("/api/batches/" + id).body();
        for (String body : new String[] {page, api}) {
            assertFalse(body.contains("evil"), "the file name is not shown anywhere");
            assertFalse(body.contains("<script>"));
        }
        assertFalse(Files.exists(Path.of("/tmp/evil\"><script>alert(1)</script>.txt")));
        try (Stream<Path> files = Files.list(DATA_DIR)) {
            assertTrue(files.allMatch(f -> f.getFileName().toString().startsWith("vt-batch-search.db")),
                    "nothing but the database in DATA_DIR");
        }
        before = state(); // accepted on purpose: the name is harmless because it is ignored
    }

    @Test
    void uuidPathVariantsAre404OrRefusedByTheContainer() throws Exception {
        HttpResponse<String> created = http().post("/api/batches", "text/plain", MD5.getBytes(StandardCharsets.US_ASCII));
        String id = json.readTree(created.body()).path("id").asText();
        before = state();
        Http http = http();
        assertEquals(200, http.get("/report/" + id).statusCode());
        for (String variant : new String[] {id.toUpperCase(), id + "x", id + "/", id + "/x", " " + id,
            id.replace("-", ""), "{" + id + "}", id + "%20", id + ".json", id.substring(1)}) {
            String encoded = variant.replace(" ", "%20").replace("{", "%7B").replace("}", "%7D");
            HttpResponse<String> page = http.get("/report/" + encoded);
            assertEquals(404, page.statusCode(), variant);
            assertTrue(page.body().contains("No such report"), variant);
            HttpResponse<String> api = http.get("/api/batches/" + encoded);
            assertEquals(404, api.statusCode(), variant);
            assertEquals("No such batch.", error(api), variant);
        }
        for (String variant : new String[] {"..%2F" + id, "%2e%2e%2f" + id, id + "%2F", "..%5C" + id, id + "%00",
            "%2E%2E/%2E%2E/etc/passwd", "..;/" + id}) {
            int page = http.get("/report/" + variant).statusCode();
            int api = http.get("/api/batches/" + variant).statusCode();
            assertTrue(page == 400 || page == 404, variant + " gave " + page);
            assertTrue(api == 400 || api == 404, variant + " gave " + api);
        }
    }

    @Test
    void aBodyOnAGetIsA400AndNotReadAsAnotherRequest() throws Exception {
        String smuggled = "GET " + path("/health") + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
        RawHttp.Answer answer = raw().exchange("GET " + path("/api/batches/00000000-0000-4000-8000-000000000000")
                + " HTTP/1.1\nHost: localhost\nContent-Length: " + smuggled.length() + "\n",
                out -> out.write(smuggled.getBytes(StandardCharsets.US_ASCII)), Duration.ofSeconds(20));
        assertEquals(400, answer.status(), answer.text());
        assertTrue(answer.text().contains("A GET request has no body"), answer.text());
        assertFalse(answer.text().contains("\"status\""), "the body was not answered as a second request");

        RawHttp.Answer page = raw().exchange("GET " + path("/") + " HTTP/1.1\nHost: localhost\n"
                + "Transfer-Encoding: chunked\n", out -> out.write("5\r\nhello\r\n0\r\n\r\n".getBytes()),
                Duration.ofSeconds(20));
        assertEquals(400, page.status(), page.text());
        assertTrue(page.text().contains("A GET request has no body"), page.text());
    }

    @Test
    void aClientThatStallsIsCutOffByTheConnectorTimeout() throws Exception {
        // headers sent, body promised, then nothing: the connector's 10 s timeout ends the read
        RawHttp.Answer stalledBody = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nContent-Length: 100000\n", out -> out.write(MD5.getBytes()),
                Duration.ofSeconds(40));
        System.out.println("HostileInputIT: stalled body answered " + stalledBody.status() + " after "
                + stalledBody.elapsed().toMillis() + " ms");
        assertTrue(stalledBody.elapsed().compareTo(Duration.ofSeconds(25)) < 0, "took " + stalledBody.elapsed());
        assertTrue(stalledBody.status() == 408 || stalledBody.status() == 0, stalledBody.text());

        // headers never finished: the connector closes the connection without an answer
        RawHttp.Answer stalledHead = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost",
                out -> { }, Duration.ofSeconds(40));
        System.out.println("HostileInputIT: stalled head answered " + stalledHead.status() + " after "
                + stalledHead.elapsed().toMillis() + " ms");
        assertTrue(stalledHead.elapsed().compareTo(Duration.ofSeconds(25)) < 0, "took " + stalledHead.elapsed());
        assertTrue(stalledHead.status() == 0 || stalledHead.status() == 400 || stalledHead.status() == 408,
                stalledHead.text());
    }
}
