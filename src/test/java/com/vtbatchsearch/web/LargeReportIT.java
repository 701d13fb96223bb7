package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Http;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
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
 * A report of 100,000 hashes, all pending (no API key, so no lookup runs): its page and the first page
 * of its JSON hold one page of rows, never the whole batch. Sizes are asserted; times are printed.
 */
@ExtendWith(ArquillianExtension.class)
class LargeReportIT {
    private static final int HASHES = 100_000;
    /**
     * The page's fixed markup is about 20 KB and one row about 1.4 KB with the longest hashes and every
     * optional column (answer fields, change badges) in the markup, so 100 rows come to roughly 160 KB;
     * 256 KB leaves room for markup changes while another page of rows (or the whole batch, over 100 MB)
     * would break it.
     */
    private static final int MAX_PAGE_BYTES = 256 * 1024;
    private static final Path DATA_DIR = AppSettings.freshDataDir("large-report");

    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "VT_REQUESTS_PER_MINUTE", "4",
                "MAX_UPLOAD_MB", "10",
                "MAX_HASHES_PER_BATCH", String.valueOf(HASHES),
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", String.valueOf(HASHES)));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @Test
    void hundredThousandHashReportPagesInSql() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        List<String> hashes = new ArrayList<>(HASHES);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        StringBuilder upload = new StringBuilder(HASHES * 65);
        for (int i = 0; i < HASHES; i++) {
            String hash = HexFormat.of().formatHex(sha256.digest(("sample " + i).getBytes(StandardCharsets.UTF_8)));
            hashes.add(hash);
            upload.append(hash).append('\n');
        }
        long start = System.nanoTime();
        HttpResponse<String> created = http.post("/api/batches", "text/plain",
                upload.toString().getBytes(StandardCharsets.UTF_8));
        long uploadMs = millisSince(start);
        assertEquals(201, created.statusCode(), created.body());
        String id = json.readTree(created.body()).path("id").asText();
        assertEquals(HASHES, json.readTree(created.body()).path("unique").asInt());

        assertFalse(json.readTree(created.body()).path("stored").asBoolean(true), "stored in the background");

        // Until its batch is written the report says so (503, Retry-After) rather than "no such report".
        HttpResponse<String> storing = http.get("/report/" + id);
        assertEquals(503, storing.statusCode(), "asked at once, while 100,000 items are being written");
        assertEquals("1", storing.headers().firstValue("Retry-After").orElse(null));
        assertTrue(storing.body().contains("Storing the report") && storing.body().contains("100,000"), storing.body());
        long storedMs;
        start = System.nanoTime();
        while (true) {
            HttpResponse<String> answer = http.get("/api/batches/" + id + "?limit=1");
            if (answer.statusCode() == 200) {
                storedMs = millisSince(start) + uploadMs;
                break;
            }
            assertEquals(503, answer.statusCode(), answer.body());
            assertEquals("1", answer.headers().firstValue("Retry-After").orElse(null));
            assertTrue(json.readTree(answer.body()).path("storing").asBoolean(), answer.body());
            assertTrue(millisSince(start) < 120_000, "stored within two minutes");
            Thread.sleep(100);
        }

        start = System.nanoTime();
        HttpResponse<String> page = http.get("/report/" + id);
        long pageMs = millisSince(start);
        assertEquals(200, page.statusCode());
        int pageBytes = page.body().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(pageBytes < MAX_PAGE_BYTES, "report page is " + pageBytes + " bytes");
        assertEquals(100, countOccurrences(page.body(), "<tr class=\"item "), "one page of rows in the HTML");
        assertTrue(page.body().contains(hashes.get(0)) && !page.body().contains(hashes.get(100)));

        start = System.nanoTime();
        HttpResponse<String> first = http.get("/api/batches/" + id + "?offset=0&limit=100");
        long firstMs = millisSince(start);
        assertEquals(200, first.statusCode());
        JsonNode batch = json.readTree(first.body());
        assertEquals(100, batch.path("items").size());
        assertEquals(HASHES, batch.path("matched").asInt());
        assertEquals(HASHES, batch.path("counts").path("pending").asInt());
        assertTrue(batch.path("etaSeconds").isNull(), "no API key: nothing runs, so no estimate");
        assertEquals(HASHES, batch.path("progress").path("lookupsToGo").asInt());
        assertEquals(hashes.get(0), batch.path("items").get(0).path("hash").asText());
        int firstBytes = first.body().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(firstBytes < 100 * 1024, "first JSON page is " + firstBytes + " bytes");

        start = System.nanoTime();
        JsonNode last = json.readTree(http.get("/api/batches/" + id + "?offset=" + (HASHES - 100) + "&limit=100").body());
        long lastMs = millisSince(start);
        assertEquals(hashes.get(HASHES - 1), last.path("items").get(99).path("hash").asText());

        start = System.nanoTime();
        JsonNode sorted = json.readTree(http.get("/api/batches/" + id + "?sort=hash&limit=100").body());
        long sortedMs = millisSince(start);
        String smallest = hashes.stream().min(String::compareTo).orElseThrow();
        assertEquals(smallest, sorted.path("items").get(0).path("hash").asText());

        start = System.nanoTime();
        JsonNode searched = json.readTree(http.get("/api/batches/" + id + "?q=" + hashes.get(54_321).substring(10, 30)
                + "&verdict=pending&limit=100").body());
        long searchMs = millisSince(start);
        assertEquals(hashes.get(54_321), searched.path("items").get(0).path("hash").asText());

        start = System.nanoTime();
        HttpResponse<byte[]> csv = http.getBytes("/api/batches/" + id + "?format=csv");
        long csvMs = millisSince(start);
        assertEquals(HASHES + 1, countOccurrences(new String(csv.body(), StandardCharsets.UTF_8), "\r\n"));

        start = System.nanoTime();
        HttpResponse<byte[]> jsonExport = http.getBytes("/api/batches/" + id + "?format=json");
        long jsonMs = millisSince(start);
        JsonNode exported = json.readTree(jsonExport.body());
        assertEquals(HASHES, exported.path("items").size());
        assertEquals(HASHES, exported.path("matched").asInt());
        assertEquals(hashes.get(HASHES - 1), exported.path("items").get(HASHES - 1).path("hash").asText());

        // Sorted exports are read in chunks too: every row once, in the sort's order across chunk boundaries.
        start = System.nanoTime();
        HttpResponse<byte[]> sortedCsv = http.getBytes("/api/batches/" + id + "?format=csv&sort=hash&dir=desc");
        long sortedCsvMs = millisSince(start);
        List<String> descending = new ArrayList<>(hashes);
        descending.sort(java.util.Comparator.reverseOrder());
        List<String> csvHashes = new String(sortedCsv.body(), StandardCharsets.UTF_8).lines().skip(1)
                .map(line -> line.substring(0, line.indexOf(','))).toList();
        assertEquals(descending, csvHashes);
        // No hash has a name yet: one run of ties over the whole batch, kept in upload order.
        start = System.nanoTime();
        JsonNode byName = json.readTree(http.getBytes("/api/batches/" + id + "?format=json&sort=name").body());
        long byNameMs = millisSince(start);
        assertEquals(HASHES, byName.path("items").size());
        for (int i = 0; i < HASHES; i += 997) {
            assertEquals(hashes.get(i), byName.path("items").get(i).path("hash").asText());
        }

        System.out.printf("LargeReportIT: %,d hashes; upload answered in %d ms, stored %d ms after it was sent; report page %,d bytes in %d ms; "
                + "first JSON page %,d bytes in %d ms; last page %d ms; sorted by hash %d ms; text search %d ms; "
                + "CSV export %,d bytes in %d ms; JSON export %,d bytes in %d ms; CSV export sorted by hash %d ms; "
                + "JSON export sorted by name (all tied) %d ms%n", HASHES, uploadMs, storedMs, pageBytes, pageMs,
                firstBytes, firstMs, lastMs, sortedMs, searchMs, csv.body().length, csvMs, jsonExport.body().length,
                jsonMs, sortedCsvMs, byNameMs);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static int countOccurrences(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }
}
