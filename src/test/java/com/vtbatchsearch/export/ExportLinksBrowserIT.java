package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.HeadlessChrome;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.RealAnswers;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * In a real browser: the report's links to the block lists, MISP event and STIX bundle follow the filters
 * and the sort as they change, the unfiltered exports show only while a filter is on, and the STIX link
 * downloads the malicious files' bundle under its name. Screenshot {@code target/screenshots/report-exports.png}.
 */
@ExtendWith(ArquillianExtension.class)
class ExportLinksBrowserIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("export-links");
    private static final Path WORK = Path.of("target", "browser").toAbsolutePath();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();
    private static final List<FileReport> FILES = List.of(real("file-eicar-2026.json"),
            real("file-clean-win32exe-aclock.json"), real("file-malicious-doc-w97m-hill.json"));
    private static final FakeVirusTotal VT = startFake();

    private WebDriver driver;
    private Path downloads;

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
            FILES.forEach(f -> vt.script(f.md5(), FakeVirusTotal.Reply.of(200, f.rawJson())));
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
                "DATA_DIR", DATA_DIR.toString()));
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

    private String href(String id) {
        return driver.findElement(By.id(id)).getDomProperty("href");
    }

    @Test
    void exportLinksFollowTheFiltersAndDownloadTheBundle() throws Exception {
        Http http = new Http(URI.create(base.toString()));
        HttpResponse<String> created = http.post("/api/batches", "text/plain", String.join("\n",
                FILES.stream().map(FileReport::md5).toList()).getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        String id = RealAnswers.JSON.readTree(created.body()).path("id").asText();

        driver.get(http.uri("/report/" + id).toString());
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.until(d -> "done".equals(d.findElement(By.id("report")).getDomAttribute("data-status")));
        assertTrue(href("export-stix").endsWith("/api/batches/" + id + "?format=stix"), href("export-stix"));
        assertFalse(driver.findElement(By.id("exports-unfiltered")).isDisplayed());

        new Select(driver.findElement(By.id("filter-verdict"))).selectByValue("malicious");
        wait.until(d -> href("export-stix").contains("verdict=malicious"));
        assertTrue(href("export-sha256").endsWith("?verdict=malicious&format=sha256"), href("export-sha256"));
        assertTrue(driver.findElement(By.id("exports-unfiltered")).isDisplayed());

        driver.findElement(By.cssSelector("th[data-sort=detections] button")).click();
        wait.until(d -> href("export-misp").contains("sort=detections"));
        assertFalse(href("export-misp").contains("offset"), href("export-misp"));
        driver.manage().window().setSize(new Dimension(1366, 1000));
        Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(),
                SCREENSHOTS.resolve("report-exports.png"), StandardCopyOption.REPLACE_EXISTING);

        driver.findElement(By.id("export-stix")).click();
        Path bundle = downloads.resolve("vt-batch-" + id.substring(0, 8) + "-malicious.stix.json");
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> Files.exists(bundle));
        String document = Files.readString(bundle);
        assertEquals(List.of(), SchemaValidation.stix(document));
        long indicators = RealAnswers.JSON.readTree(document).path("objects").findValues("pattern").size();
        assertEquals(2, indicators, "EICAR and the Word macro virus");

        new Select(driver.findElement(By.id("filter-verdict"))).selectByValue("");
        wait.until(d -> !href("export-stix").contains("verdict="));
        assertFalse(driver.findElement(By.id("exports-unfiltered")).isDisplayed(), "a sort is not a filter");
    }
}
