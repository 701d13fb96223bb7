package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.HeadlessChrome;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Instances;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The upload page and a report in a real browser: Chrome or Chromium and its chromedriver, headless
 * ({@code CHROME_BIN} and {@code CHROMEDRIVER}, by default Debian's {@code /usr/bin/chromium} and
 * {@code /usr/bin/chromedriver}), against the built WAR and a fake VirusTotal that answers slowly enough
 * to watch the report fill in.
 * Screenshots go to {@code target/screenshots/}.
 */
@ExtendWith(ArquillianExtension.class)
class ReportBrowserIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("report-browser");
    private static final Path WORK = Path.of("target", "browser").toAbsolutePath();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();
    private static final int HASHES = 60;
    private static final String HOSTILE_HASH = "f00dfeed".repeat(4);
    private static final String HOSTILE_LABEL = "<img src=x onerror=alert(1)>";

    // After the constants it scripts: static fields initialise in order.
    private static final FakeVirusTotal VT = startFake();

    private final ObjectMapper json = new ObjectMapper();
    private WebDriver driver;
    private Path downloads;

    @ArquillianResource
    private URL base;

    private static FakeVirusTotal startFake() {
        try {
            FakeVirusTotal vt = new FakeVirusTotal();
            // Slow answers, so the report is seen filling in: 60 hashes take about 9 s.
            vt.fallback(hash -> {
                FakeVirusTotal.Reply known = vt.knownFile(hash);
                return new FakeVirusTotal.Reply(known.status(), known.body(), Duration.ofMillis(150));
            });
            vt.script(HOSTILE_HASH, FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson("9".repeat(64), HOSTILE_HASH,
                    "8".repeat(40), 7, HOSTILE_LABEL, "\"><script>alert(2)</script>.exe")));
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
                "VT_RETRY_BASE_MS", "50",
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_UPLOAD_MB", "1",
                "MY_ENGINES", "CrowdStrike,NoSuchEngine"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @AfterAll
    static void stopFake() {
        VT.close();
    }

    @BeforeEach
    void startBrowser() throws IOException {
        assertNull(HeadlessChrome.missing(), HeadlessChrome.missing());
        Files.createDirectories(SCREENSHOTS);
        downloads = Files.createDirectories(WORK.resolve("downloads-" + UUID.randomUUID()));
        driver = HeadlessChrome.start(WORK, downloads);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterEach
    void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    private String url(String path) {
        return new Http(URI.create(base.toString())).uri(path).toString();
    }

    @Test
    void uploadWatchProgressFilterExpandAndDownload() throws Exception {
        Path file = WORK.resolve("upload-hashes.txt");
        List<String> hashes = uploadFile(file);

        driver.get(url("/"));
        // Rows are rebuilt on every update, so an element found a moment ago may be gone: look again.
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        wait.ignoring(StaleElementReferenceException.class);
        assertTrue(text("form .limits").contains("Up to 1 MB"));
        assertFalse(driver.findElement(By.id("recent")).isDisplayed(), "no recent reports in a fresh browser");

        // A rejection is shown on the page and what was pasted stays in the box.
        WebElement textarea = driver.findElement(By.id("text"));
        textarea.sendKeys("nothing to look up here");
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("upload-error")));
        assertTrue(text("#upload-error").startsWith("No hash found"), text("#upload-error"));
        assertEquals("nothing to look up here", textarea.getDomProperty("value"));
        screenshot("upload-rejected.png");
        textarea.clear();

        // A dropped file is taken as the file to upload; one over the limit is refused before it is sent.
        dropFile("dropped.txt", 2_000);
        assertTrue(text("#file-chosen").startsWith("dropped.txt"), text("#file-chosen"));
        assertFalse(driver.findElement(By.id("upload-error")).isDisplayed());
        dropFile("huge.txt", 1024 * 1024 + 1);
        assertEquals("huge.txt is larger than the limit of 1 MB. Split it into smaller files.", text("#upload-error"));
        driver.findElement(By.id("submit")).click();
        assertTrue(driver.getCurrentUrl().endsWith("/"), "nothing was sent");

        driver.findElement(By.id("file")).sendKeys(file.toString());
        assertTrue(text("#file-chosen").startsWith("upload-hashes.txt"));
        driver.findElement(By.id("submit")).click();
        wait.until(ExpectedConditions.urlMatches("/report/[0-9a-f-]{36}"));
        String id = driver.getCurrentUrl().replaceAll(".*/report/([0-9a-f-]{36}).*", "$1");
        ((JavascriptExecutor) driver).executeScript("window.sameDocument = true;");

        // The progress bar fills in place until every lookup is answered.
        List<Integer> seen = new ArrayList<>();
        boolean[] runningShot = {false};
        new WebDriverWait(driver, Duration.ofSeconds(60)).pollingEvery(Duration.ofMillis(200))
                .ignoring(StaleElementReferenceException.class).until(d -> {
            WebElement progress = d.findElement(By.id("progress"));
            int value = Integer.parseInt(progress.getDomProperty("value"));
            int max = Integer.parseInt(progress.getDomProperty("max"));
            if (seen.isEmpty() || seen.get(seen.size() - 1) != value) {
                seen.add(value);
                if (value > 0 && value < max && !runningShot[0]) {
                    screenshotQuietly("report-running.png");
                    runningShot[0] = true;
                }
            }
            return value == max && max == hashes.size() && text("#eta").contains("all lookups done");
        });
        assertTrue(seen.get(0) < hashes.size(), "the report was seen before it was complete: " + seen);
        assertEquals("100", text("#percent-done"));
        assertEquals(hashes.size() + " of " + hashes.size() + " looked up (100 %) · all lookups done",
                text("#progress-text"));
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeScript("return window.sameDocument === true;"),
                "updated without reloading the page");
        assertEquals("done", driver.findElement(By.id("report")).getDomAttribute("data-status"));

        JsonNode counts = json.readTree(new Http(URI.create(base.toString())).get("/api/batches/" + id).body())
                .path("counts");
        assertEquals(counts.path("malicious").asText(), text("#count-malicious"));
        assertEquals(counts.path("suspicious").asText(), text("#count-suspicious"));
        assertEquals(counts.path("clean").asText(), text("#count-clean"));
        assertEquals("0", text("#count-pending"));
        assertEquals(6, driver.findElements(By.cssSelector("#chart rect.bar")).size());
        assertTrue(driver.findElement(By.id("chart")).getText().contains("malicious"));
        screenshotAt("report-laptop.png", 1366, 1400);

        // Filter to malicious rows.
        new Select(driver.findElement(By.id("filter-verdict"))).selectByValue("malicious");
        int malicious = counts.path("malicious").asInt();
        wait.until(d -> text("#table-caption").equals("Rows 1–" + malicious + " of " + malicious + " matching"));
        List<WebElement> rows = driver.findElements(By.cssSelector("#rows tr.item"));
        assertEquals(malicious, rows.size());
        for (WebElement row : rows) {
            assertTrue(row.getDomAttribute("class").contains("v-malicious"), row.getText());
            assertTrue(row.findElement(By.cssSelector(".verdict")).getText().contains("malicious"));
        }
        assertTrue(driver.getCurrentUrl().contains("verdict=malicious"), "the address keeps the filter");

        // Expand a row: the engines that flagged the file and its names, escaped as text.
        driver.findElement(By.id("filter-q")).sendKeys(HOSTILE_HASH.substring(0, 12));
        wait.until(d -> d.findElements(By.cssSelector("#rows tr.item")).size() == 1
                && HOSTILE_HASH.equals(d.findElement(By.cssSelector("#rows tr.item td.hash code")).getDomAttribute("title")));
        assertEquals(HOSTILE_HASH.substring(0, 12) + "\u2026", text("#rows tr.item td.hash code"), "shortened, whole on hover");
        assertEquals(HOSTILE_LABEL, driver.findElement(By.cssSelector("#rows tr.item td:nth-child(5)")).getText());
        driver.findElement(By.cssSelector("#rows button.expand")).click();
        wait.until(d -> text("#rows tr.details").contains("Known names (2)"));
        String details = text("#rows tr.details");
        assertTrue(details.contains("Engines that flagged it (8)"), details);
        assertTrue(details.contains("Engine01: " + HOSTILE_LABEL), details);
        assertTrue(details.contains("\"><script>alert(2)</script>.exe"), details);
        assertEquals("true", driver.findElement(By.cssSelector("#rows button.expand")).getDomAttribute("aria-expanded"));
        assertNoAlert();
        screenshotAt("report-expanded.png", 1366, 1000);

        // Download the CSV through its link.
        driver.findElement(By.id("filter-q")).clear();
        new Select(driver.findElement(By.id("filter-verdict"))).selectByValue("");
        wait.until(d -> text("#table-caption").equals("Rows 1–" + (hashes.size()) + " of " + hashes.size()));
        driver.findElement(By.id("export-csv")).click();
        Path csv = downloads.resolve("vt-batch-" + id.substring(0, 8) + ".csv");
        try {
            new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> Files.exists(csv));
        } catch (org.openqa.selenium.TimeoutException e) {
            String href = driver.findElement(By.id("export-csv")).getDomProperty("href");
            driver.get("chrome://downloads");
            screenshot("downloads-debug.png");
            throw new AssertionError("no download of " + href + " in " + java.util.Arrays.toString(downloads.toFile().list()), e);
        }
        List<CSVRecord> records;
        try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            assertEquals('\uFEFF', reader.read(), "byte-order mark");
            records = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader).getRecords();
        }
        assertEquals(hashes.size(), records.size());
        Map<String, String> verdictByHash = new HashMap<>();
        records.forEach(r -> verdictByHash.put(r.get("hash"), r.get("verdict")));
        assertEquals(hashes.stream().sorted().toList(), verdictByHash.keySet().stream().sorted().toList());
        assertEquals(malicious, verdictByHash.values().stream().filter("malicious"::equals).count());

        // Sorting by a column header, by keyboard.
        WebElement sortDetections = driver.findElement(By.cssSelector("th[data-sort=detections] button"));
        sortDetections.sendKeys(org.openqa.selenium.Keys.ENTER);
        wait.until(d -> "descending".equals(d.findElement(By.cssSelector("th[data-sort=detections]"))
                .getDomAttribute("aria-sort")));
        wait.until(d -> detections(d).size() == hashes.size() && isDescending(detections(d)));

        driver.findElement(By.id("copy-link")).click();
        wait.until(d -> !text("#copy-status").isEmpty());

        screenshotAt("report-phone.png", 390, 1600);
        driver.get(url("/"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("recent")));
        WebElement recent = driver.findElement(By.cssSelector("#recent-list a"));
        assertEquals("upload-hashes.txt", recent.getText());
        assertTrue(recent.getDomProperty("href").endsWith("/report/" + id));
        screenshotAt("upload-phone.png", 390, 900);
        screenshotAt("upload.png", 1366, 900);
    }

    @Test
    void deletingAReportAsksFirstThenForgetsIt() throws Exception {
        driver.get(url("/"));
        driver.findElement(By.id("text")).sendKeys(Instances.sha256("browser-delete", 1));
        driver.findElement(By.id("submit")).click();
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        wait.until(ExpectedConditions.urlMatches("/report/[0-9a-f-]{36}"));
        String id = driver.getCurrentUrl().replaceAll(".*/report/([0-9a-f-]{36}).*", "$1");
        Http api = new Http(URI.create(base.toString()));

        driver.findElement(By.cssSelector("form.delete-report button")).click();
        Alert question = wait.until(ExpectedConditions.alertIsPresent());
        assertTrue(question.getText().startsWith("Delete this report?"), question.getText());
        question.dismiss();
        assertEquals(200, api.get("/api/batches/" + id).statusCode(), "dismissed: nothing deleted");
        assertTrue(driver.getCurrentUrl().endsWith("/report/" + id));

        driver.findElement(By.cssSelector("form.delete-report button")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(d -> d.getCurrentUrl().endsWith("/"));
        assertEquals(404, api.get("/api/batches/" + id).statusCode());
        for (WebElement link : driver.findElements(By.cssSelector("#recent-list a"))) {
            assertFalse(link.getDomProperty("href").contains(id), "the deleted report left the recent list");
        }
    }

    @Test
    void aRefreshOfStaleAnswersKeepsThePageUpdatingUntilTheyAreIn() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            text.append(String.format("%08x", i).repeat(4)).append('\n');
        }
        String id = json.readTree(http.post("/api/batches", "text/plain",
                text.toString().getBytes(StandardCharsets.UTF_8)).body()).path("id").asText();
        new WebDriverWait(driver, Duration.ofSeconds(30)).pollingEvery(Duration.ofMillis(200)).until(d -> {
            try {
                return "done".equals(json.readTree(http.get("/api/batches/" + id).body()).path("status").asText());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // Every answer of the batch older than its time to live: all 40 stale, then looked up again
        // (150 ms each at the fake), so the refresh is still running when the page first asks for news.
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(
                "jdbc:sqlite:" + DATA_DIR.resolve("vt-batch-search.db"));
                java.sql.PreparedStatement s = c.prepareStatement(
                        "UPDATE lookups SET updated_at = 0 WHERE hash IN (SELECT hash FROM batch_items WHERE batch_id = ?)")) {
            s.setString(1, id);
            assertEquals(40, s.executeUpdate());
        }
        driver.get(url("/report/" + id));
        assertEquals(40, driver.findElements(By.cssSelector("#rows .stale")).size());
        driver.findElement(By.cssSelector("form.refresh button")).click();
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);
        wait.until(d -> !d.findElements(By.cssSelector("#rows .stale")).isEmpty()
                && text("#rows .stale").equals("stale, refreshing"));
        ((JavascriptExecutor) driver).executeScript("window.sameDocument = true;");
        wait.until(d -> d.findElements(By.cssSelector("#rows .stale")).isEmpty());
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeScript("return window.sameDocument === true;"),
                "the refreshed answers came in without reloading the page");
        assertTrue(text("#eta").contains("all lookups done"), text("#eta"));
        assertEquals("done", driver.findElement(By.id("report")).getDomAttribute("data-status"));
    }

    /** The real answers of src/test/resources/vt-real/ (see AnswerFieldsTest), by file name. */
    private static final String[] REAL = {
        "file-clean-doscom-virusshare.json", "file-clean-elf-haiku.json", "file-clean-empty-file-ui-endpoint-2018.json",
        "file-clean-macho-doom.json", "file-clean-win32exe-aclock.json", "file-eicar-2026.json",
        "file-lowdetect-dotnet-exe-label-trojan-dot.json", "file-malicious-doc-w97m-hill.json",
        "file-malicious-pe-msil-tasker.data-only.json", "file-malicious-rtf-cve-2017-11882.json",
        "file-partial-xsoar-context-2021-eicar-variant.json"};

    /**
     * A batch of the real answers with MY_ENGINES=CrowdStrike,NoSuchEngine: choosing columns (kept after a
     * reload), an engine no answer names marked as such, a facet value as a filter combined with a verdict,
     * the gap counter as a filter combined with minDetections, and the expanded row's answer fields.
     */
    private static final String HOSTILE_FAMILY = "<img src=x onerror=alert(4)>";
    private static final String HOSTILE_RULE = "<svg onload=alert(5)>";

    @Test
    void chooseColumnsFilterByAFacetAndFindTheGap() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        StringBuilder upload = new StringBuilder();
        Map<String, String> md5ByFile = new HashMap<>();
        for (String name : REAL) {
            String raw;
            try (var in = ReportBrowserIT.class.getResourceAsStream("/vt-real/" + name)) {
                raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!json.readTree(raw).has("data")) {
                raw = "{\"data\": " + raw + "}";
            }
            String md5 = json.readTree(raw).path("data").path("attributes").path("md5").asText();
            VT.script(md5, FakeVirusTotal.Reply.of(200, raw));
            md5ByFile.put(name, md5);
            upload.append(md5).append(';').append(name).append('\n');
        }
        // And an answer whose family and YARA rule are markup: shown as text wherever they appear.
        String hostileMd5 = "ba5eba11".repeat(4);
        VT.script(hostileMd5, FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson("7".repeat(64), hostileMd5,
                "6".repeat(40), 7, "trojan.x", "x.exe")
                .replace("{\"suggested_threat_label\": ", "{\"popular_threat_name\": [{\"value\": \""
                        + HOSTILE_FAMILY + "\", \"count\": 9}], \"suggested_threat_label\": ")
                .replace("\"reputation\": -12,", "\"reputation\": -12, \"crowdsourced_yara_results\": [{\"rule_name\": \""
                        + HOSTILE_RULE + "\"}],")));
        upload.append(hostileMd5).append(";markup\n");
        String id = json.readTree(http.post("/api/batches", "text/plain",
                upload.toString().getBytes(StandardCharsets.UTF_8)).body()).path("id").asText();
        new WebDriverWait(driver, Duration.ofSeconds(60)).pollingEvery(Duration.ofMillis(200)).until(d -> {
            try {
                return "done".equals(json.readTree(http.get("/api/batches/" + id).body()).path("status").asText());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        driver.get(url("/report/" + id));
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        wait.ignoring(StaleElementReferenceException.class);
        wait.until(d -> "6".equals(text("#count-gap")));
        assertTrue(text("#gap-counter").contains("missed by my engines"));
        WebElement unknown = driver.findElement(By.cssSelector("th[data-engine=NoSuchEngine]"));
        assertTrue(unknown.getText().contains("(in no answer)"), unknown.getText());
        assertFalse(text("th[data-engine=CrowdStrike]").contains("in no answer"));
        // Hashes are shortened, whole on hover, with a copy button.
        WebElement firstHash = driver.findElement(By.cssSelector("#rows tr.item td.hash code"));
        assertEquals(md5ByFile.get(REAL[0]), firstHash.getDomAttribute("title"));
        assertTrue(firstHash.getText().endsWith("\u2026"), firstHash.getText());
        assertFalse(driver.findElements(By.cssSelector("#rows tr.item td.hash button.copy")).isEmpty());

        // Choose columns: Family and Size on, Line off; the choice outlives a reload.
        assertFalse(driver.findElement(By.cssSelector("th[data-col=family]")).isDisplayed());
        driver.findElement(By.cssSelector("#columns-chooser summary")).click();
        driver.findElement(By.id("column-family")).click();
        driver.findElement(By.id("column-size")).click();
        driver.findElement(By.id("column-context")).click();
        wait.until(d -> d.findElement(By.cssSelector("th[data-col=family]")).isDisplayed());
        assertFalse(driver.findElement(By.cssSelector("th[data-col=context]")).isDisplayed());
        screenshotAt("report-columns.png", 1366, 1900);
        driver.navigate().refresh();
        wait.until(d -> "6".equals(text("#count-gap")));
        assertTrue(driver.findElement(By.cssSelector("th[data-col=family]")).isDisplayed(), "kept in this browser");
        assertFalse(driver.findElement(By.cssSelector("th[data-col=context]")).isDisplayed());
        List<?> families = (List<?>) ((JavascriptExecutor) driver).executeScript("return Array.from(document"
                + ".querySelectorAll('#rows tr.item td[data-col=family]')).map(td => td.textContent);");
        assertEquals("eicar", families.get(5));
        assertEquals("", families.get(0), "no family: an empty cell, never null");

        // A facet value is a filter, and combines with a verdict.
        wait.until(d -> d.findElement(By.id("facets")).isDisplayed());
        assertTrue(text(".facet[data-facet=family]").contains("eicar 2"), text(".facet[data-facet=family]"));
        assertTrue(text(".facet[data-facet=yaraRules]").contains("malw_eicar 2"));
        assertTrue(text(".facet[data-facet=family]").contains(HOSTILE_FAMILY + " 1"), "markup shown as text");
        assertTrue(text(".facet[data-facet=yaraRules]").contains(HOSTILE_RULE + " 1"));
        assertEquals(HOSTILE_FAMILY, String.valueOf(families.get(11)));
        assertNoAlert();
        driver.findElement(By.cssSelector(".facet[data-facet=family] a[data-value=eicar]")).click();
        wait.until(d -> text("#table-caption").equals("Rows 1–2 of 2 matching"));
        assertTrue(driver.getCurrentUrl().contains("family=eicar"), driver.getCurrentUrl());
        wait.until(d -> "true".equals(d.findElement(By.cssSelector(".facet[data-facet=family] a[data-value=eicar]"))
                .getDomAttribute("aria-current")));
        assertTrue(driver.findElement(By.id("export-csv")).getDomProperty("href").contains("family=eicar"),
                "the exports take the page's filters");
        screenshotAt("report-facet-filter.png", 1366, 1900);
        new Select(driver.findElement(By.id("filter-verdict"))).selectByValue("clean");
        wait.until(d -> text("#table-caption").equals("Rows 0–0 of 0 matching"));
        assertEquals("No rows match.", text("#rows tr.empty"));
        new Select(driver.findElement(By.id("filter-verdict"))).selectByValue("");
        driver.findElement(By.cssSelector("#active-filters button[data-filter=family]")).click();
        wait.until(d -> text("#table-caption").equals("Rows 1–12 of 12"));

        // The gap: malicious files that neither CrowdStrike nor the unknown engine flags.
        driver.findElement(By.id("gap-counter")).click();
        wait.until(d -> text("#table-caption").equals("Rows 1–6 of 6 matching"));
        assertTrue(driver.getCurrentUrl().contains("gap=true"));
        assertEquals(6, driver.findElements(By.cssSelector("#rows tr.item.gap")).size());
        List<String> gapHashes = new ArrayList<>();
        for (WebElement code : driver.findElements(By.cssSelector("#rows tr.item td.hash code"))) {
            gapHashes.add(code.getDomAttribute("title"));
        }
        assertTrue(gapHashes.contains(md5ByFile.get("file-eicar-2026.json")), "CrowdStrike does not flag EICAR");
        assertFalse(gapHashes.contains(md5ByFile.get("file-malicious-pe-msil-tasker.data-only.json")));
        screenshotAt("report-gap.png", 1366, 1900);
        driver.findElement(By.id("filter-min-detections")).sendKeys("50");
        wait.until(d -> text("#table-caption").equals("Rows 1–2 of 2 matching"));
        assertTrue(driver.getCurrentUrl().contains("minDetections=50"));

        // The expanded row: every answer field, and how old the analysis is.
        WebElement hill = driver.findElement(By.cssSelector("#rows tr.item[data-hash='"
                + md5ByFile.get("file-malicious-doc-w97m-hill.json") + "'] button.expand"));
        hill.click();
        wait.until(d -> text("#rows tr.details").contains("Known names"));
        String details = text("#rows tr.details");
        assertTrue(details.contains("analysed 2020-04-10, 6 years ago"), details);
        assertTrue(details.contains("hill"), details);
        assertTrue(details.contains("64,000 bytes"), details);
        assertTrue(details.contains("CrowdStrike: not flagged"), details);
        assertNoAlert();
        screenshotAt("report-gap-expanded.png", 1366, 1900);

        // Bad input on the API: a 400 naming the parameter.
        assertEquals(400, http.get("/api/batches/" + id + "?minDetections=abc").statusCode());
        assertTrue(http.get("/api/batches/" + id + "/facets?facet=colour").body().contains("facet must be one of"));
    }

    private static FakeVirusTotal.Reply file(String sha256, int malicious, String label) {
        return FakeVirusTotal.Reply.of(200, FakeVirusTotal.fileJson(sha256, sha256.substring(32), sha256.substring(0, 40),
                malicious, label, "sample.exe"));
    }

    private String uploadAndWait(Http http, String... hashes) throws Exception {
        String id = json.readTree(http.post("/api/batches", "text/plain",
                String.join("\n", hashes).getBytes(StandardCharsets.UTF_8)).body()).path("id").asText();
        new WebDriverWait(driver, Duration.ofSeconds(30)).pollingEvery(Duration.ofMillis(200)).until(d -> {
            try {
                return "done".equals(json.readTree(http.get("/api/batches/" + id).body()).path("status").asText());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        return id;
    }

    @Test
    void aRecheckShowsItsCostThenWhatChangedAndTheHistoryOfAnExpandedRow() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        String worse = "c0ffee01".repeat(8);
        String relabelled = "c0ffee02".repeat(8);
        String same = "c0ffee03".repeat(8);
        VT.script(worse, file(worse, 0, "w.sample"), file(worse, 9, "w.sample"));
        VT.script(relabelled, file(relabelled, 4, "adware.one"), file(relabelled, 4, "adware.two"));
        String id = uploadAndWait(http, worse, relabelled, same);

        // What a re-check costs, asked before confirming; bad input is refused naming the parameter, and changes nothing.
        HttpResponse<String> dryRun = http.post("/api/batches/" + id + "/recheck?dryRun=true", "text/plain", new byte[0]);
        assertEquals(200, dryRun.statusCode(), dryRun.body());
        JsonNode estimate = json.readTree(dryRun.body());
        assertEquals(3, estimate.path("lookups").asInt());
        assertTrue(estimate.path("etaSeconds").isNumber(), dryRun.body());
        assertTrue(estimate.path("doneAt").isTextual(), dryRun.body());
        for (String[] bad : new String[][] {{"dryRun=maybe", "dryRun"}, {"watch=hourly", "watch"}}) {
            HttpResponse<String> refused = http.post("/api/batches/" + id + "/recheck?" + bad[0], "text/plain", new byte[0]);
            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(json.readTree(refused.body()).path("error").asText().startsWith(bad[1] + " "), refused.body());
        }
        HttpResponse<String> badFilter = http.get("/api/batches/" + id + "?changed=yes");
        assertEquals(400, badFilter.statusCode());
        assertTrue(badFilter.body().contains("changed must be true or false"), badFilter.body());
        assertEquals(404, http.post("/api/batches/00000000-0000-4000-8000-000000000000/recheck", "text/plain",
                new byte[0]).statusCode());
        JsonNode before = json.readTree(http.get("/api/batches/" + id).body()).path("recheck");
        assertTrue(before.path("startedAt").isNull(), before.toString());
        assertTrue(before.path("watch").isNull(), before.toString());

        driver.get(url("/report/" + id));
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(40));
        wait.ignoring(StaleElementReferenceException.class);
        assertTrue(text("#recheck-estimate").startsWith("3 lookups, done about "), text("#recheck-estimate"));
        assertEquals("Not re-checked yet.", text("#recheck-status"));
        driver.findElement(By.id("recheck-button")).click();
        wait.until(d -> text("#recheck-status").contains("changed 2 items"));
        wait.until(d -> text("#recheck-estimate").startsWith("3 lookups, done about "));
        assertEquals("2", text("#count-changed"));
        assertEquals("1", text("#count-change-newly_malicious"));
        assertEquals("1", text("#count-change-label_changed"));
        assertEquals("0", text("#count-change-newly_known"));

        // The change filter: both changed rows, each with its kinds; then one kind.
        new Select(driver.findElement(By.id("filter-change"))).selectByValue("any");
        wait.until(d -> text("#table-caption").equals("Rows 1–2 of 2 matching"));
        assertTrue(driver.getCurrentUrl().contains("changed=true"), driver.getCurrentUrl());
        assertEquals(List.of("newly malicious", "detections up"), driver.findElements(
                By.cssSelector("#rows tr.item[data-hash='" + worse + "'] .change")).stream().map(WebElement::getText).toList());
        assertEquals(List.of("label changed"), driver.findElements(
                By.cssSelector("#rows tr.item[data-hash='" + relabelled + "'] .change")).stream().map(WebElement::getText).toList());
        assertTrue(driver.findElements(By.cssSelector("#rows tr.item[data-hash='" + same + "']")).isEmpty());
        new Select(driver.findElement(By.id("filter-change"))).selectByValue("label_changed");
        wait.until(d -> text("#table-caption").equals("Rows 1–1 of 1 matching"));
        assertEquals(relabelled, driver.findElement(By.cssSelector("#rows tr.item")).getDomAttribute("data-hash"));

        // An expanded row shows the earlier answer next to the engines and names.
        new Select(driver.findElement(By.id("filter-change"))).selectByValue("newly_malicious");
        wait.until(d -> text("#table-caption").equals("Rows 1–1 of 1 matching"));
        driver.findElement(By.cssSelector("#rows tr.item[data-hash='" + worse + "'] button.expand")).click();
        wait.until(d -> text("#rows tr.details").contains("Earlier answers (1)"));
        String history = text("#rows tr.details .history");
        assertTrue(history.contains("suspicious") && history.contains("0 engines") && history.contains("w.sample"),
                history);
        assertTrue(text("#rows tr.details").contains("Engines that flagged it (10)"), text("#rows tr.details"));
        screenshotAt("report-recheck.png", 1366, 1200);

        // The changes ride along in the exports too.
        HttpResponse<String> csv = http.get("/api/batches/" + id + "?format=csv&changed=true");
        List<CSVRecord> records = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new java.io.StringReader(csv.body().substring(1))).getRecords();
        assertEquals(2, records.size());
        assertEquals("newly_malicious detections_up", records.get(0).get("change"));
        assertEquals("adware.one", records.get(1).get("previousLabel"));

        // Watching the batch: a setting on the report, posted with the form's CSRF token.
        new Select(driver.findElement(By.id("watch"))).selectByValue("daily");
        driver.findElement(By.id("watch-save")).click();
        wait.until(d -> "daily".equals(new Select(d.findElement(By.id("watch"))).getFirstSelectedOption()
                .getDomAttribute("value")));
        assertEquals("daily", json.readTree(http.get("/api/batches/" + id).body()).path("recheck").path("watch").asText());
        assertNoAlert();
    }

    @Test
    void aRecheckAskedForWhileOneRunsIsAnsweredWithTheOneRunning() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        String slowSecond = "0ddba11a".repeat(8);
        VT.script(slowSecond, file(slowSecond, 1, "x"), file(slowSecond, 1, "x").after(Duration.ofSeconds(5)));
        String id = uploadAndWait(http, slowSecond);

        HttpResponse<String> first = http.post("/api/batches/" + id + "/recheck?watch=weekly", "text/plain", new byte[0]);
        assertEquals(202, first.statusCode(), first.body());
        JsonNode started = json.readTree(first.body());
        assertTrue(started.path("started").asBoolean());
        assertEquals(1, started.path("queued").asInt());
        assertTrue(started.path("recheck").path("running").asBoolean());
        assertEquals("weekly", started.path("recheck").path("watch").asText());
        HttpResponse<String> second = http.post("/api/batches/" + id + "/recheck", "text/plain", new byte[0]);
        assertEquals(200, second.statusCode(), second.body());
        JsonNode running = json.readTree(second.body());
        assertFalse(running.path("started").asBoolean());
        assertEquals(0, running.path("queued").asInt());
        assertEquals(started.path("recheck").path("startedAt").asText(), running.path("recheck").path("startedAt").asText());
        assertTrue(json.readTree(http.post("/api/batches/" + id + "/recheck?dryRun=true", "text/plain", new byte[0])
                .body()).path("running").asBoolean());
    }

    @Test
    void theNotificationButtonAsksOnlyAfterAClickAndTellsWhenTheBatchIsDone() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        String slow = "feedface".repeat(8);
        VT.script(slow, file(slow, 3, "slow.one").after(Duration.ofSeconds(6)));
        String id = json.readTree(http.post("/api/batches", "text/plain", slow.getBytes(StandardCharsets.UTF_8)).body())
                .path("id").asText();
        driver.get(url("/report/" + id));
        WebElement button = driver.findElement(By.id("notify-done"));
        assertTrue(button.isDisplayed(), "offered while the batch is pending");
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript("""
                window.asked = 0; window.shown = [];
                window.Notification = function (title, options) { window.shown.push(title + ' | ' + options.body); };
                window.Notification.requestPermission = function () { window.asked++; return Promise.resolve('granted'); };""");
        Thread.sleep(500);
        assertEquals(0L, js.executeScript("return window.asked;"), "no permission asked before the click");
        button.click();
        new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> text("#notify-status").startsWith("This browser will tell you"));
        assertEquals(1L, js.executeScript("return window.asked;"));
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d ->
                ((Number) js.executeScript("return window.shown.length;")).intValue() == 1);
        String shown = (String) js.executeScript("return window.shown[0];");
        assertTrue(shown.startsWith("VT Batch Search: batch done | 1 hashes: 1 malicious"), shown);
    }

    private List<String> uploadFile(Path file) throws IOException {
        Random random = new Random(42);
        List<String> hashes = new ArrayList<>();
        StringBuilder text = new StringBuilder("# IOCs from a report\r\n");
        while (hashes.size() < HASHES - 1) {
            byte[] bytes = new byte[16 + 4 * random.nextInt(3) + 12 * (random.nextInt(3) == 0 ? 1 : 0)];
            random.nextBytes(bytes);
            String hash = java.util.HexFormat.of().formatHex(bytes);
            if (hash.length() == 32 || hash.length() == 40 || hash.length() == 64) {
                hashes.add(hash);
                text.append("ioc,").append(hash).append(",seen\r\n");
            }
        }
        hashes.add(HOSTILE_HASH);
        text.append(HOSTILE_HASH).append("\r\n");
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return hashes;
    }

    /** Drops a text file of {@code size} bytes on the drop zone, as a drag from the desktop would. */
    private void dropFile(String name, int size) {
        ((JavascriptExecutor) driver).executeScript("""
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(arguments[1]).fill(97)], arguments[0], {type: 'text/plain'}));
                document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: transfer,
                    bubbles: true, cancelable: true}));""", name, size);
    }

    private String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText().trim();
    }

    private static List<Integer> detections(WebDriver d) {
        List<Integer> values = new ArrayList<>();
        // Read in one script call: the rows may be rebuilt between two WebDriver calls.
        List<?> texts = (List<?>) ((JavascriptExecutor) d).executeScript(
                "return Array.from(document.querySelectorAll('#rows tr.item td.num')).map(td => td.textContent);");
        for (Object cell : texts) {
            String text = String.valueOf(cell);
            values.add(text.isEmpty() ? -1 : Integer.parseInt(text.substring(0, text.indexOf('/'))));
        }
        return values;
    }

    private static boolean isDescending(List<Integer> values) {
        for (int i = 1; i < values.size(); i++) {
            if (values.get(i) > values.get(i - 1)) {
                return false;
            }
        }
        return true;
    }

    private void assertNoAlert() {
        try {
            driver.switchTo().alert();
            throw new AssertionError("a script from the data ran");
        } catch (NoAlertPresentException expected) {
            // nothing ran
        }
    }

    private void screenshotAt(String name, int width, int height) throws IOException {
        driver.manage().window().setSize(new Dimension(width, height));
        screenshot(name);
    }

    private void screenshotQuietly(String name) {
        try {
            screenshot(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
