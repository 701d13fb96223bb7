package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.testing.AppDatabase;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.RealAnswers;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The export formats over HTTP, against a fake VirusTotal that answers with real answers: names of the
 * downloads, content types, the page's filters in the query, a clear 400 naming a bad parameter (changing
 * nothing), an export while lookups still run, and the report page's links carrying its filters.
 */
@ExtendWith(ArquillianExtension.class)
class ExportFormatsIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("export-formats");
    private static final String NOT_FOUND = "9".repeat(31) + "8";
    private static final FileReport EICAR = real("file-eicar-2026.json");
    private static final FileReport HILL = real("file-malicious-doc-w97m-hill.json");
    private static final FileReport RTF = real("file-malicious-rtf-cve-2017-11882.json");
    private static final FileReport CLOCK = real("file-clean-win32exe-aclock.json");
    /** Answered after a while: a batch that holds it is still being looked up meanwhile. */
    private static final FileReport SLOW = real("file-malicious-pe-msil-tasker.data-only.json");
    private static final FakeVirusTotal VT = startFake();

    private static String batchId;

    @ArquillianResource
    private URL base;

    private static FileReport real(String name) {
        try {
            return RealAnswers.report(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FakeVirusTotal startFake() {
        try {
            FakeVirusTotal vt = new FakeVirusTotal().perMinuteLimit(6000);
            for (FileReport f : List.of(EICAR, HILL, RTF, CLOCK)) {
                for (String hash : f.aliases()) {
                    vt.script(hash, FakeVirusTotal.Reply.of(200, f.rawJson()));
                }
            }
            vt.script(SLOW.sha256(), FakeVirusTotal.Reply.of(200, SLOW.rawJson()).after(Duration.ofSeconds(6)));
            vt.script(NOT_FOUND, FakeVirusTotal.notFound(NOT_FOUND));
            return vt;
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
                "VT_MAX_ATTEMPTS", "1",
                "VT_RETRY_BASE_MS", "50",
                "DATA_DIR", DATA_DIR.toString()));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @AfterAll
    static void stopFake() {
        VT.close();
    }

    private Http http() {
        return new Http(URI.create(base.toString()));
    }

    private String upload(String text) throws Exception {
        HttpResponse<String> created = http().post("/api/batches", "text/plain; charset=UTF-8",
                text.getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        return RealAnswers.JSON.readTree(created.body()).path("id").asText();
    }

    private JsonNode batch(String id) throws Exception {
        return RealAnswers.JSON.readTree(http().get("/api/batches/" + id).body());
    }

    private void waitUntil(String id, java.util.function.Predicate<JsonNode> done) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!done.test(batch(id))) {
            assertTrue(Instant.now().isBefore(deadline), "batch " + id + " not there in 30 s: " + batch(id));
            Thread.sleep(100);
        }
    }

    @BeforeEach
    void batchOfRealAnswers() throws Exception {
        if (batchId != null) {
            return;
        }
        batchId = upload(String.join("\n", EICAR.md5() + ";eicar by md5", EICAR.sha256(), HILL.sha1() + ";hill",
                RTF.sha256(), RTF.md5(), CLOCK.md5() + ";a clock", NOT_FOUND + ";never seen"));
        waitUntil(batchId, b -> "done".equals(b.path("status").asText()));
    }

    private HttpResponse<String> export(String query) throws Exception {
        return http().get("/api/batches/" + batchId + "?" + query);
    }

    private static String disposition(HttpResponse<?> response) {
        return response.headers().firstValue("Content-Disposition").orElseThrow();
    }

    @Test
    void stixExportOfTheMaliciousRowsIsNamedSoAndValidates() throws Exception {
        HttpResponse<String> response = export("format=stix&verdict=malicious&sort=detections&dir=desc");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow()
                .startsWith("application/stix+json;version=2.1"));
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + "-malicious.stix.json\"",
                disposition(response));
        assertEquals(List.of(), SchemaValidation.stix(response.body()));
        List<String> indicated = new ArrayList<>();
        RealAnswers.JSON.readTree(response.body()).path("objects").forEach(o -> {
            if (o.path("type").asText().equals("indicator")) {
                indicated.add(o.path("external_references").get(0).path("external_id").asText());
            }
        });
        // Most detections first: EICAR 62, Hill 53, the RTF exploit 36.
        assertEquals(List.of(EICAR.sha256(), HILL.sha256(), RTF.sha256()), indicated);
    }

    @Test
    void blockListsAndMispEventOverHttp() throws Exception {
        HttpResponse<String> sha256 = export("format=sha256");
        assertEquals(200, sha256.statusCode());
        assertTrue(sha256.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + ".sha256.txt\"",
                disposition(sha256));
        assertEquals(List.of(EICAR.sha256(), HILL.sha256(), RTF.sha256(), CLOCK.sha256()), sha256.body().lines().toList());

        HttpResponse<String> md5 = export("format=md5&comments=true&verdict=malicious&q=eicar");
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + "-malicious-q-eicar.md5.txt\"",
                disposition(md5));
        List<String> lines = md5.body().lines().toList();
        assertTrue(lines.get(0).startsWith("# "), md5.body());
        assertEquals(List.of(EICAR.md5()), lines.stream().filter(l -> !l.startsWith("#")).toList());

        HttpResponse<String> misp = export("format=misp&verdict=clean&offset=0&limit=1");
        assertEquals(200, misp.statusCode());
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + "-clean.misp.json\"",
                disposition(misp));
        assertEquals(List.of(), SchemaValidation.misp(misp.body()));
        JsonNode objects = RealAnswers.JSON.readTree(misp.body()).path("Event").path("Object");
        assertEquals(1, objects.size());
        assertTrue(objects.get(0).path("comment").asText().contains("a clock"), objects.toString());

        // CSV and JSON downloads are named the same way.
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + "-not-found.csv\"",
                disposition(http().getBytes("/api/batches/" + batchId + "?format=csv&verdict=not_found")));
    }

    @Test
    void badParametersAre400sNamingThemAndChangeNothing() throws Exception {
        long batches = AppDatabase.count(DATA_DIR, "batches");
        for (String[] bad : new String[][] {{"format=xml", "format"}, {"format=sha256&comments=yes", "comments"},
            {"format=stix&verdict=evil", "verdict"}, {"format=misp&sort=size%20desc", "sort"},
            {"format=md5&q=" + "x".repeat(201), "q"}}) {
            HttpResponse<String> response = export(bad[0]);
            assertEquals(400, response.statusCode(), bad[0]);
            assertTrue(RealAnswers.JSON.readTree(response.body()).path("error").asText().startsWith(bad[1]),
                    bad[0] + ": " + response.body());
        }
        assertEquals(404, http().get("/api/batches/" + "0".repeat(8) + "-0000-4000-8000-" + "0".repeat(12)
                + "?format=stix").statusCode());
        assertEquals(batches, AppDatabase.count(DATA_DIR, "batches"));
    }

    @Test
    void exportStartsWhileTheBatchIsStillLookedUp() throws Exception {
        String id = upload(String.join("\n", SLOW.sha256() + ";slow", EICAR.sha256()));
        waitUntil(id, b -> b.path("counts").path("pending").asInt() == 1 && b.path("counts").path("malicious").asInt() == 1);
        HttpResponse<String> early = http().get("/api/batches/" + id + "?format=sha256&comments=true");
        assertEquals(200, early.statusCode());
        assertTrue(early.body().contains("1 pending"), early.body());
        assertTrue(early.body().contains("lookups are still running"), early.body());
        assertEquals(List.of(EICAR.sha256()), early.body().lines().filter(l -> !l.startsWith("#")).toList());
        JsonNode event = RealAnswers.JSON.readTree(http().get("/api/batches/" + id + "?format=misp").body());
        assertEquals("1", event.path("Event").path("analysis").asText(), "analysis ongoing");

        waitUntil(id, b -> "done".equals(b.path("status").asText()));
        HttpResponse<String> late = http().get("/api/batches/" + id + "?format=sha256");
        assertEquals(List.of(SLOW.sha256(), EICAR.sha256()), late.body().lines().toList());
    }

    @Test
    void reportPageLinksCarryTheFiltersAndKeepAnUnfilteredExport() throws Exception {
        String filtered = http().get("/report/" + batchId + "?verdict=malicious&sort=detections&dir=desc&limit=50").body();
        String api = URI.create(base.toString()).getPath().replaceAll("/$", "") + "/api/batches/" + batchId;
        for (String format : List.of("sha256", "md5", "sha1", "misp", "stix")) {
            assertTrue(filtered.contains("href=\"" + api + "?verdict=malicious&amp;sort=detections&amp;dir=desc&amp;format="
                    + format + "\""), format + " link in " + filtered);
        }
        assertTrue(filtered.contains("<p id=\"exports-unfiltered\" >"), "unfiltered exports shown");
        assertTrue(filtered.contains("href=\"" + api + "?format=stix\""), "an unfiltered STIX export");

        String plain = http().get("/report/" + batchId).body();
        assertTrue(plain.contains("href=\"" + api + "?format=stix\""), plain);
        assertTrue(plain.contains("<p id=\"exports-unfiltered\" hidden>"), "nothing to take off");
        assertFalse(plain.contains("verdict=malicious&amp;"), plain);
    }
}
