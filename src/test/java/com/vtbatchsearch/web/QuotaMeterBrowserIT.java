package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;

/**
 * The quota meter as a user sees it, on the built WAR: the key's day is 495 of 500 spent by other tools,
 * so the app makes five lookups, pauses until 00:00 UTC without drawing a 429, and the report page, the
 * upload page and {@code /health} all say so. Screenshots go to {@code target/screenshots/}.
 */
@ExtendWith(ArquillianExtension.class)
class QuotaMeterBrowserIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("quota-meter");
    private static final Path WORK = Path.of("target", "browser").toAbsolutePath();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();
    private static final FakeVirusTotal VT = FakeVirusTotal.start()
            .allowance(FakeVirusTotal.NO_CAP, 500, 15_500).usedByOthers(0, 495, 1_200);

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", VT.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "60",
                "DATA_DIR", DATA_DIR.toString()));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    @AfterAll
    static void stopFake() {
        VT.close();
    }

    @Test
    void theMeterShowsTheDaySpentMostlyByOtherTools() throws Exception {
        assertNull(HeadlessChrome.missing(), HeadlessChrome.missing());
        Http http = new Http(URI.create(base.toString()));
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            hashes.add(Instances.sha256("meter", i));
        }
        String id = new ObjectMapper().readTree(http.post("/api/batches", "text/plain",
                String.join("\n", hashes).getBytes(StandardCharsets.UTF_8)).body()).path("id").asText();
        ObjectMapper json = new ObjectMapper();
        Instances.await("lookups paused", Duration.ofSeconds(30), () -> {
            try {
                return json.readTree(http.get("/health").body()).path("lookups").path("state").asText().equals("paused");
            } catch (Exception e) {
                return false;
            }
        });

        JsonNode lookups = json.readTree(http.get("/health").body()).path("lookups");
        assertEquals(5, VT.calls());
        assertEquals(0, VT.rateLimitedCalls());
        assertEquals(500, lookups.path("quota").path("today").path("used").asInt());
        assertEquals(500, lookups.path("quota").path("today").path("limit").asInt());
        assertEquals(495, lookups.path("quota").path("today").path("byOtherTools").asInt());
        assertEquals(1_205, lookups.path("quota").path("month").path("used").asInt());
        assertEquals("public", lookups.path("quota").path("keyKind").asText());

        Files.createDirectories(SCREENSHOTS);
        WebDriver driver = HeadlessChrome.start(WORK, null);
        try {
            driver.get(http.uri("/report/" + id).toString());
            String meter = driver.findElement(By.id("quota-meter")).getText();
            assertTrue(meter.contains("500 of 500 used today, 495 by other tools"), meter);
            assertTrue(meter.contains("1205 of 15500 used this month"), meter);
            assertTrue(driver.findElement(By.cssSelector(".notice")).getText().contains("paused until 00:00 UTC"));
            screenshot(driver, "report-quota-meter.png");
            driver.get(http.uri("/").toString());
            assertEquals(meter, driver.findElement(By.id("quota-meter")).getText());
            screenshot(driver, "upload-quota-meter.png");
            System.out.println("quota meter on the report page: " + meter);
        } finally {
            driver.quit();
        }
    }

    private static void screenshot(WebDriver driver, String name) throws Exception {
        driver.manage().window().setSize(new Dimension(1366, 900));
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
