package com.vtbatchsearch.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chrome or Chromium through its chromedriver, named by {@code CHROME_BIN} and {@code
 * CHROMEDRIVER} (by default Debian's {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver}), so
 * Selenium never downloads a browser or a driver.
 */
public final class HeadlessChrome {
    public static final String CHROMIUM = fromEnvironment("CHROME_BIN", "/usr/bin/chromium");
    public static final String CHROMEDRIVER = fromEnvironment("CHROMEDRIVER", "/usr/bin/chromedriver");

    private HeadlessChrome() {
    }

    private static String fromEnvironment(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /** Why no browser can start here, or null when one can. */
    public static String missing() {
        return Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)) ? null
                : "no browser at " + CHROMIUM + " or no driver at " + CHROMEDRIVER + ": install chromium and"
                        + " chromium-driver (apt-get install chromium chromium-driver; .ci/run does) or set"
                        + " CHROME_BIN and CHROMEDRIVER";
    }

    /**
     * A fresh browser with a profile of its own under {@code work}.
     *
     * @param downloads where downloads go, or null
     */
    public static ChromeDriver start(Path work, Path downloads) {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic", "--window-size=1366,1000",
                "--user-data-dir=" + work.resolve("profile-" + UUID.randomUUID()));
        if (downloads != null) {
            options.setExperimentalOption("prefs", Map.of(
                    "download.default_directory", downloads.toString(),
                    "download.prompt_for_download", false));
        }
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        if (downloads != null) {
            // Headless Chrome drops downloads unless told where to put them.
            chrome.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow",
                    "downloadPath", downloads.toString()));
        }
        return chrome;
    }
}
