package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Http.Part;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
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
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
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
 * The report's JSON API over HTTP: filters, sorting and paging, the CSV and JSON exports, the details of
 * one hash, and the report page's markup, against a fake VirusTotal scripted with one hash per verdict.
 */
@ExtendWith(ArquillianExtension.class)
class ReportApiIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("report-api");

    static final String MALICIOUS = "0123456789abcdef0123456789abcd01";
    static final String CLEAN = "1".repeat(39) + "2";
    static final String SUSPICIOUS = "2".repeat(63) + "3";
    static final String NOT_FOUND = "3".repeat(31) + "4";
    static final String ERROR = "4".repeat(39) + "5";
    static final String FORMULA_LABEL = "=HYPERLINK(\"http://evil.example/\",\"click\")";
    static final String UNICODE_NAME = "+Rechnung_März \"final\", v2\r\nфайл.exe";
    /** What is stored of {@link #UNICODE_NAME}: its line break becomes spaces, like every control character. */
    static final String STORED_NAME = "+Rechnung_März \"final\", v2  файл.exe";

    // After the constants it scripts: static fields initialise in order.
    private static final FakeVirusTotal VT = startFake();

    private final ObjectMapper json = new ObjectMapper();
    private static String batchId;

    @ArquillianResource
    private URL base;

    private static FakeVirusTotal startFake() {
        try {
            FakeVirusTotal vt = new FakeVirusTotal().perMinuteLimit(6000);
            vt.script(MALICIOUS, FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson("a".repeat(64), MALICIOUS,
                    "b".repeat(40), 42, FORMULA_LABEL, UNICODE_NAME)));
            vt.script(CLEAN, FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson("c".repeat(64), "d".repeat(32),
                    CLEAN, 0, null, "notepad.exe").replace("\"suspicious\": 1,", "\"suspicious\": 0,")));
            vt.script(SUSPICIOUS, FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson(SUSPICIOUS, "e".repeat(32),
                    "f".repeat(40), 0, "@SUM(1+1)*cmd|' /C calc'!A0", "-rf.txt")));
            vt.script(NOT_FOUND, FakeVirusTotal.notFound(NOT_FOUND));
            vt.script(ERROR, FakeVirusTotal.error(503, "TransientError", "try later"));
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

    @BeforeEach
    void batchWithOneHashPerVerdict() throws Exception {
        if (batchId != null) {
            return;
        }
        HttpResponse<String> created = http().post("/api/batches", "text/plain; charset=UTF-8",
                String.join("\n", MALICIOUS, CLEAN, SUSPICIOUS, NOT_FOUND, ERROR).getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        batchId = json.readTree(created.body()).path("id").asText();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"done".equals(get("").path("status").asText())) {
            assertTrue(Instant.now().isBefore(deadline), "batch not done in 30 s");
            Thread.sleep(100);
        }
    }

    private JsonNode get(String query) throws Exception {
        HttpResponse<String> response = http().get("/api/batches/" + batchId + query);
        assertEquals(200, response.statusCode(), query + ": " + response.body());
        return json.readTree(response.body());
    }

    private List<String> hashes(JsonNode batch) {
        List<String> hashes = new ArrayList<>();
        batch.path("items").forEach(item -> hashes.add(item.path("hash").asText()));
        return hashes;
    }

    @Test
    void aPollThatChangesNothingIsAnsweredNotModified() throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.net.URI page = http().uri("/api/batches/" + batchId + "?limit=3&sort=verdict");
        HttpResponse<String> first = client.send(java.net.http.HttpRequest.newBuilder(page).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, first.statusCode());
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertTrue(etag.matches("\"[A-Za-z0-9_-]{22}\""), etag);

        HttpResponse<String> again = client.send(java.net.http.HttpRequest.newBuilder(page)
                .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        assertEquals(etag, again.headers().firstValue("ETag").orElseThrow());

        HttpResponse<String> stale = client.send(java.net.http.HttpRequest.newBuilder(page)
                .header("If-None-Match", "\"something-else\"").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, stale.statusCode(), "another tag: the whole answer");
        assertEquals(first.body(), stale.body());
        HttpResponse<String> otherPage = client.send(java.net.http.HttpRequest.newBuilder(
                http().uri("/api/batches/" + batchId + "?limit=3&sort=verdict&dir=desc")).header("If-None-Match", etag)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, otherPage.statusCode(), "a different answer has a different tag");
        assertFalse(etag.equals(otherPage.headers().firstValue("ETag").orElseThrow()));
    }

    @Test
    void countsEveryVerdictAndEtaIsNullWhenDone() throws Exception {
        JsonNode batch = get("");
        JsonNode counts = batch.path("counts");
        assertEquals(1, counts.path("malicious").asInt());
        assertEquals(1, counts.path("suspicious").asInt());
        assertEquals(1, counts.path("clean").asInt());
        assertEquals(1, counts.path("notFound").asInt());
        assertEquals(1, counts.path("errors").asInt());
        assertEquals(0, counts.path("pending").asInt());
        assertTrue(batch.has("etaSeconds") && batch.path("etaSeconds").isNull(), batch.toString());
        assertEquals(5, batch.path("matched").asInt());
        assertFalse(batch.has("offset"), "no paging without paging parameters");
        assertEquals(List.of(MALICIOUS, CLEAN, SUSPICIOUS, NOT_FOUND, ERROR), hashes(batch));
        List<String> verdicts = new ArrayList<>();
        batch.path("items").forEach(item -> verdicts.add(item.path("verdict").asText()));
        assertEquals(List.of("malicious", "clean", "suspicious", "not_found", "error"), verdicts);
    }

    @Test
    void filtersSortsAndPagesInTheApi() throws Exception {
        assertEquals(List.of(MALICIOUS), hashes(get("?verdict=malicious")));
        assertEquals(1, get("?verdict=malicious").path("matched").asInt());
        assertEquals(List.of(CLEAN), hashes(get("?verdict=clean")));
        assertEquals(List.of(SUSPICIOUS), hashes(get("?verdict=suspicious")));
        assertEquals(List.of(NOT_FOUND), hashes(get("?verdict=not_found")));
        assertEquals(List.of(ERROR), hashes(get("?verdict=error")));
        assertEquals(List.of(), hashes(get("?verdict=pending")));
        assertEquals(List.of(CLEAN), hashes(get("?q=NOTEPAD")), "text filter ignores case");
        assertEquals(List.of(MALICIOUS), hashes(get("?q=" + MALICIOUS.substring(4, 20))));
        assertEquals(List.of(), hashes(get("?q=%25")), "% is a character, not a wildcard");

        assertEquals(MALICIOUS, hashes(get("?sort=detections&dir=desc")).get(0));
        assertEquals(List.of(ERROR, NOT_FOUND, SUSPICIOUS, CLEAN, MALICIOUS), hashes(get("?sort=position&dir=desc")));
        assertEquals(List.of(MALICIOUS, SUSPICIOUS, CLEAN, NOT_FOUND, ERROR), hashes(get("?sort=verdict")));
        assertEquals(List.of(MALICIOUS, SUSPICIOUS, CLEAN), hashes(get("?sort=name")).subList(0, 3),
                "+R, -r, n; items without a name last");

        JsonNode page = get("?offset=1&limit=2");
        assertEquals(List.of(CLEAN, SUSPICIOUS), hashes(page));
        assertEquals(5, page.path("matched").asInt());
        assertEquals(1, page.path("offset").asInt());
        assertEquals(2, page.path("limit").asInt());
        assertEquals(100, get("?offset=0").path("limit").asInt(), "limit defaults to 100 once paging is asked for");

        for (String bad : new String[] {"?verdict=bogus", "?limit=0", "?limit=1001", "?offset=-1", "?sort=raw_json",
            "?dir=up", "?format=xml"}) {
            HttpResponse<String> response = http().get("/api/batches/" + batchId + bad);
            assertEquals(400, response.statusCode(), bad);
            assertTrue(json.readTree(response.body()).path("error").asText().length() > 5, bad);
        }
    }

    @Test
    void csvExportParsesBackToTheSameRowsWithFormulasNeutralised() throws Exception {
        HttpResponse<byte[]> response = http().getBytes("/api/batches/" + batchId + "?format=csv");
        assertEquals(200, response.statusCode());
        assertEquals("text/csv;charset=UTF-8", response.headers().firstValue("Content-Type").orElseThrow()
                .replace(" ", ""));
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + ".csv\"",
                response.headers().firstValue("Content-Disposition").orElseThrow());
        byte[] body = response.body();
        assertEquals(0xEF, body[0] & 0xFF, "UTF-8 byte-order mark for Excel");
        assertEquals(0xBB, body[1] & 0xFF);
        assertEquals(0xBF, body[2] & 0xFF);
        String csv = new String(body, 3, body.length - 3, StandardCharsets.UTF_8);
        assertTrue(csv.startsWith("hash,type,status,verdict,malicious,suspicious,undetected,harmless,total,label,"
                + "name,fileType,sha256,firstSeen,lastAnalysis,vtUrl,error,context,md5,sha1,size,timesSubmitted,family,"
                + "category,signer,signerVerified,yaraRules,sigma,sandboxVerdicts,tags,gap,change,previousVerdict,"
                + "previousMalicious,previousLabel,previousFamily,previousAnsweredAt\r\n"), csv);
        String outsideQuotes = csv.replaceAll("\"(?:[^\"]|\"\")*\"", "\"\"");
        assertFalse(Pattern.compile("[^\r]\n").matcher(outsideQuotes).find(), "rows end with CRLF");

        List<CSVRecord> records;
        try (CSVParser parser = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(csv))) {
            records = parser.getRecords();
        }
        JsonNode items = get("").path("items");
        assertEquals(items.size(), records.size());
        for (int i = 0; i < records.size(); i++) {
            CSVRecord record = records.get(i);
            JsonNode item = items.get(i);
            assertEquals(ItemCsvWriter.HEADER.length, record.size());
            for (String column : record.getParser().getHeaderNames()) {
                JsonNode value = item.path(column);
                if (value.isArray() && (value.isEmpty() || value.get(0).isTextual())) {
                    List<String> parts = new ArrayList<>();
                    value.forEach(v -> parts.add(v.asText()));
                    value = json.getNodeFactory().textNode(String.join("; ", parts));
                } else if (value.isContainerNode()) {
                    assertFalse(record.get(column).isEmpty(), column);
                    continue;
                }
                String expected = value.isNull() ? "" : value.asText();
                if (!expected.isEmpty() && "=+-@\t\r".indexOf(expected.charAt(0)) >= 0) {
                    expected = "'" + expected;
                }
                assertEquals(expected, record.get(column), item.path("hash").asText() + " " + column);
            }
        }
        CSVRecord malicious = records.get(0);
        assertEquals("'" + FORMULA_LABEL, malicious.get("label"), "formula in the label is neutralised");
        assertEquals("'" + STORED_NAME, malicious.get("name"), "UTF-8, quotes and comma survive");
        assertEquals("42", malicious.get("malicious"));
        assertEquals("'@SUM(1+1)*cmd|' /C calc'!A0", records.get(2).get("label"));
        assertEquals("'-rf.txt", records.get(2).get("name"));
        assertEquals("peexe; overlay", malicious.get("tags"));
        assertEquals("b".repeat(40), malicious.get("sha1"));
        assertEquals("", malicious.get("family"), "no family in the answer: an empty cell, not null or 0");
        assertEquals("not_found", records.get(3).get("status"));
        assertEquals("", records.get(3).get("malicious"));

        HttpResponse<byte[]> filtered = http().getBytes("/api/batches/" + batchId + "?format=csv&verdict=clean");
        String filteredCsv = new String(filtered.body(), StandardCharsets.UTF_8);
        assertEquals(3, filteredCsv.split("\r\n").length + (filteredCsv.endsWith("\r\n") ? 1 : 0),
                "filters apply to exports: header and one row");
    }

    /**
     * The verdict policy's parameters and the facets over HTTP: bad values answer 400 naming the parameter and
     * change nothing, a filter matching nothing is an empty page, chosen engines become CSV columns, the JSON
     * export takes the filters, and the facets endpoint answers its top values.
     */
    @Test
    void filtersEnginesAndFacetsOverHttp() throws Exception {
        JsonNode before = get("");
        for (String bad : new String[] {"minDetections=abc", "minDetections=-1", "gap=maybe", "engines=a;b",
                "firstSeenYear=twenty", "family=" + "x".repeat(201)}) {
            HttpResponse<String> response = http().get("/api/batches/" + batchId + "?" + bad);
            assertEquals(400, response.statusCode(), bad);
            String parameter = bad.substring(0, bad.indexOf('='));
            assertTrue(json.readTree(response.body()).path("error").asText().startsWith(parameter), response.body());
        }
        HttpResponse<String> facet = http().get("/api/batches/" + batchId + "/facets?facet=family,colour");
        assertEquals(400, facet.statusCode());
        assertTrue(json.readTree(facet.body()).path("error").asText().startsWith("facet must be one of"));
        assertEquals(404, http().get("/api/batches/" + "0".repeat(8) + "-0000-0000-0000-" + "0".repeat(12)
                + "/facets").statusCode());
        assertEquals(before.path("counts"), get("").path("counts"), "nothing changed");

        JsonNode none = get("?family=emotet&limit=10");
        assertEquals(0, none.path("matched").asInt());
        assertEquals(0, none.path("items").size());
        assertEquals(List.of(MALICIOUS), hashes(get("?minDetections=40")));
        assertEquals(List.of(), hashes(get("?minDetections=43")));

        // Engine01 flags the malicious file, CleanAV does not; NoSuchEngine appears in no answer.
        JsonNode caught = get("?engines=Engine01,NoSuchEngine&limit=10");
        assertEquals(0, caught.path("counts").path("gap").asInt());
        assertEquals("Engine01", caught.path("engines").get(0).path("name").asText());
        assertTrue(caught.path("engines").get(0).path("known").asBoolean());
        assertFalse(caught.path("engines").get(1).path("known").asBoolean());
        assertEquals(FORMULA_LABEL, caught.path("items").get(0).path("engines").path("Engine01").asText());
        assertTrue(caught.path("items").get(0).path("engines").path("NoSuchEngine").isNull());
        JsonNode missed = get("?engines=CleanAV&gap=true");
        assertEquals(List.of(MALICIOUS), hashes(missed));
        assertEquals(1, missed.path("counts").path("gap").asInt());
        assertTrue(get("").path("counts").path("gap").isNull(), "no engines chosen: no gap");

        String csv = new String(http().getBytes("/api/batches/" + batchId
                + "?format=csv&engines=Engine01,NoSuchEngine&verdict=malicious").body(), StandardCharsets.UTF_8)
                .substring(1);
        List<CSVRecord> records;
        try (CSVParser parser = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(csv))) {
            records = parser.getRecords();
            assertTrue(parser.getHeaderNames().containsAll(List.of("engine:Engine01", "engine:NoSuchEngine")));
        }
        assertEquals(1, records.size());
        assertEquals("'" + FORMULA_LABEL, records.get(0).get("engine:Engine01"), "an engine's result is neutralised too");
        assertEquals("", records.get(0).get("engine:NoSuchEngine"));
        assertEquals("false", records.get(0).get("gap"));
        JsonNode exported = json.readTree(http().get("/api/batches/" + batchId
                + "?format=json&engines=CleanAV&gap=true").body());
        assertEquals(List.of(MALICIOUS), hashes(exported));
        assertEquals(1, exported.path("matched").asInt());

        JsonNode facets = json.readTree(http().get("/api/batches/" + batchId + "/facets").body());
        assertEquals(List.of("family", "category", "yaraRules", "fileType", "signer", "firstSeenYear"),
                iterable(facets.fieldNames()));
        assertEquals("Win32 EXE", facets.path("fileType").get(0).path("value").asText());
        assertEquals(3, facets.path("fileType").get(0).path("count").asInt());
        assertEquals("2017", facets.path("firstSeenYear").get(0).path("value").asText());
        assertEquals(List.of(MALICIOUS), hashes(get("?fileType=win32%20exe&verdict=malicious")));
        assertEquals(1, json.readTree(http().get("/api/batches/" + batchId + "/facets?facet=fileType").body()).size());
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> list = new ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }

    @Test
    void eachItemCarriesTheLineItCameFromEscapedWhereverItIsShown() throws Exception {
        String hostile = MALICIOUS.toUpperCase() + ";<img src=x onerror=alert(1)> Emotet dropper";
        String formula = "=cmd|' /C calc'!A0," + CLEAN;
        HttpResponse<String> created = http().post("/api/batches", "text/plain; charset=UTF-8",
                (hostile + "\r\n" + formula + "\r\n" + MALICIOUS + ";seen again\r\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        String id = json.readTree(created.body()).path("id").asText();

        JsonNode items = json.readTree(http().get("/api/batches/" + id).body()).path("items");
        String hostileContext = "\u00ab" + MALICIOUS + "\u00bb;<img src=x onerror=alert(1)> Emotet dropper";
        assertEquals(hostileContext, items.get(0).path("context").asText(), "the line of the first occurrence");
        assertEquals("=cmd|' /C calc'!A0,\u00ab" + CLEAN + "\u00bb", items.get(1).path("context").asText());

        JsonNode found = json.readTree(http().get("/api/batches/" + id + "?q=EMOTET").body());
        assertEquals(List.of(MALICIOUS), hashes(found), "the text filter searches the line");

        String csv = new String(http().getBytes("/api/batches/" + id + "?format=csv").body(), StandardCharsets.UTF_8)
                .substring(1);
        List<CSVRecord> records;
        try (CSVParser parser = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(csv))) {
            records = parser.getRecords();
        }
        assertEquals(hostileContext, records.get(0).get("context"));
        assertEquals("'=cmd|' /C calc'!A0,\u00ab" + CLEAN + "\u00bb", records.get(1).get("context"),
                "a line that a spreadsheet would evaluate is neutralised");
        JsonNode exported = json.readTree(http().get("/api/batches/" + id + "?format=json").body());
        assertEquals(hostileContext, exported.path("items").get(0).path("context").asText());

        String html = http().get("/report/" + id).body();
        assertTrue(html.contains(";&lt;img src=x onerror=alert(1)&gt; Emotet dropper"), "the line is escaped on the page");
        assertFalse(html.contains("<img src=x"), html);
    }

    @Test
    void jsonExportIsTheBatchAsAnAttachment() throws Exception {
        HttpResponse<String> response = http().get("/api/batches/" + batchId + "?format=json");
        assertEquals(200, response.statusCode());
        assertEquals("attachment; filename=\"vt-batch-" + batchId.substring(0, 8) + ".json\"",
                response.headers().firstValue("Content-Disposition").orElseThrow());
        JsonNode exported = json.readTree(response.body());
        assertEquals(get("").path("items"), exported.path("items"), "same rows as the API");
        assertEquals(5, exported.path("items").size());
        assertEquals(STORED_NAME, exported.path("items").get(0).path("name").asText());
    }

    @Test
    void detailsListFlaggingEnginesAndNames() throws Exception {
        HttpResponse<String> response = http().get("/api/batches/" + batchId + "/items/" + MALICIOUS.toUpperCase());
        assertEquals(200, response.statusCode(), response.body());
        JsonNode details = json.readTree(response.body());
        assertEquals(MALICIOUS, details.path("hash").asText());
        JsonNode engines = details.path("engines");
        assertEquals(43, engines.size(), "42 malicious and 1 suspicious; undetected engines left out");
        assertEquals("Engine01", engines.get(0).path("engine").asText());
        assertEquals("malicious", engines.get(0).path("category").asText());
        assertEquals(FORMULA_LABEL, engines.get(0).path("result").asText());
        assertEquals("suspicious", engines.get(42).path("category").asText());
        assertEquals("Heuristix", engines.get(42).path("engine").asText());
        engines.forEach(e -> assertFalse(e.path("engine").asText().equals("CleanAV")));
        assertEquals(List.of(STORED_NAME, "copy of " + STORED_NAME),
                List.of(details.path("names").get(0).asText(), details.path("names").get(1).asText()));

        JsonNode notFound = json.readTree(http().get("/api/batches/" + batchId + "/items/" + NOT_FOUND).body());
        assertEquals("not_found", notFound.path("status").asText());
        assertEquals(0, notFound.path("engines").size());

        for (String path : new String[] {"/items/" + "9".repeat(32), "/items/nothex", "/items/",
            "/items/" + MALICIOUS + "/more"}) {
            assertEquals(404, http().get("/api/batches/" + batchId + path).statusCode(), path);
        }
        assertEquals(404, http().get("/api/batches/00000000-0000-4000-8000-000000000000/items/" + MALICIOUS)
                .statusCode(), "a hash of another batch is not found through this one");
    }

    @Test
    void reportPageRendersTheAskedPageWithoutInlineScriptOrStyle() throws Exception {
        HttpResponse<String> page = http().get("/report/" + batchId + "?verdict=malicious");
        assertEquals(200, page.statusCode());
        String html = page.body();
        assertTrue(html.contains(MALICIOUS));
        assertFalse(html.contains(CLEAN), "filtered server-side");
        assertTrue(html.contains("data-api=\""), "the script finds the API through a data attribute");
        assertTrue(html.contains("/api/batches/" + batchId + "?format=csv&amp;verdict=malicious\""),
                "CSV link, with the page's filters");
        assertTrue(html.contains("/api/batches/" + batchId + "?format=json&amp;verdict=malicious\""), "JSON link");
        assertTrue(html.contains(">=HYPERLINK(&#034;http://evil.example/&#034;,&#034;click&#034;)<"), "label escaped");
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(html).find(), "no inline script");
        assertFalse(Pattern.compile("\\sstyle=").matcher(html).find(), "no style attribute");
        assertFalse(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "no inline handler");
        assertFalse(html.contains("http-equiv=\"refresh\""));

        HttpResponse<String> upload = http().get("/");
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(upload.body()).find());
        assertFalse(Pattern.compile("\\s(style|on[a-z]+)=").matcher(upload.body()).find());
        assertEquals(200, http().get("/static/app.js").statusCode());
        assertEquals(200, http().get("/static/app.css").statusCode());
    }

    @Test
    void theNoScriptPagerAndFilterFormKeepTheSortAndFilters() throws Exception {
        String html = http().get("/report/" + batchId + "?sort=name&dir=desc&limit=1&offset=1&q=e").body();
        java.util.regex.Matcher next = Pattern.compile("id=\"page-next\"[^>]*href=\"([^\"]*)\"|href=\"([^\"]*)\"[^>]*id=\"page-next\"")
                .matcher(html);
        assertTrue(next.find(), "a next link: " + html);
        String nextUrl = (next.group(1) != null ? next.group(1) : next.group(2)).replace("&amp;", "&");
        for (String part : new String[] {"offset=2", "limit=1", "sort=name", "dir=desc", "q=e"}) {
            assertTrue(nextUrl.contains(part), part + " in " + nextUrl);
        }
        assertTrue(html.contains("id=\"page-prev\""));
        String prevUrl = html.substring(html.indexOf("id=\"page-prev\""));
        prevUrl = prevUrl.substring(prevUrl.indexOf("href=\"") + 6, prevUrl.indexOf('"', prevUrl.indexOf("href=\"") + 6));
        assertTrue(prevUrl.contains("sort=name") && prevUrl.contains("dir=desc"), prevUrl);
        assertTrue(html.contains("<input type=\"hidden\" name=\"sort\" value=\"name\">"), "the filter form keeps the sort");
        assertTrue(html.contains("<input type=\"hidden\" name=\"dir\" value=\"desc\">"));
    }

    @Test
    void rejectedFormKeepsWhatWasPasted() throws Exception {
        String pasted = "no hash in <b>this</b> text, only notes";
        HttpResponse<String> response = http().postUploadForm(Part.text(pasted));
        assertEquals(422, response.statusCode());
        assertTrue(response.body().contains("No hash found"));
        assertTrue(response.body().contains("no hash in &lt;b&gt;this&lt;/b&gt; text, only notes</textarea>"),
                response.body());
    }
}
