package com.vtbatchsearch.lookup;

import static com.vtbatchsearch.testing.Instances.await;
import static com.vtbatchsearch.testing.Instances.hashes;
import static com.vtbatchsearch.testing.Instances.settings;
import static com.vtbatchsearch.testing.Instances.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.FakeVirusTotal.Reply;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.LogCapture;
import com.vtbatchsearch.testing.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole app instances (the container's wiring) against a fake VirusTotal whose overall_quotas answers
 * its own counters: an allowance smaller than the settings, a day or month partly or wholly spent by
 * other tools sharing the key, and an endpoint that answers something else. Every case also checks that
 * no log line, HttpClient's debug lines included, holds the API key.
 */
@SuppressWarnings("unchecked")
class AccountQuotaIT {
    private static final long NO_CAP = FakeVirusTotal.NO_CAP;

    @TempDir
    Path dataDir;

    private FakeVirusTotal vt;
    private Application app;
    private LogCapture logs;

    @BeforeEach
    void startFake() throws Exception {
        vt = new FakeVirusTotal();
        logs = new LogCapture("org.apache.hc", "com.vtbatchsearch");
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        vt.close();
        logs.close();
        logs.assertAbsent(FakeVirusTotal.API_KEY);
    }

    private Application startApp(String... more) {
        List<String> all = new ArrayList<>(List.of("VT_REQUESTS_PER_MINUTE", "1000", "VT_WORKERS", "2"));
        all.addAll(List.of(more));
        app = Instances.start(settings(vt, dataDir, all.toArray(String[]::new)));
        return app;
    }

    private String submit(int count) {
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            hashes.add(sha256("quota", i));
        }
        return app.batches().submit(hashes(hashes)).id();
    }

    private int answered() {
        return vt.calls() - vt.rateLimitedCalls();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> healthQuota() {
        return app.status().getQuotaMeter().toMap();
    }

    @Test
    void aDailyAllowanceOf20UnderSettingsOf500StopsAfter20LookupsUntilMidnight() throws Exception {
        vt.allowance(NO_CAP, 20, NO_CAP);
        startApp("VT_REQUESTS_PER_DAY", "500");
        submit(30);

        await("lookups paused", Duration.ofSeconds(20), () -> app.limiter().pause().isPresent());
        Thread.sleep(500); // nothing more goes out

        assertEquals(20, answered());
        assertTrue(vt.rateLimitedCalls() <= 1, vt.rateLimitedCalls() + " 429s");
        assertEquals(RateLimiter.startOfNextUtcDay(Instant.now()), app.limiter().pause().get().until());
        assertEquals(20, app.limiter().usedToday());
        assertEquals(20, app.limiter().perDay());
        Map<String, Object> today = (Map<String, Object>) healthQuota().get("today");
        assertEquals(20L, today.get("used"));
        assertEquals(20L, today.get("limit"));
        assertEquals("virustotal", healthQuota().get("source"));
        assertEquals("public", healthQuota().get("keyKind"));
        System.out.println("quota meter, allowance 20 / settings 500: " + healthQuota().get("summary")
                + " | notice: " + app.status().getNotice());
    }

    @Test
    void twoInstancesSharingARedisStopTogetherAtTheDailyAllowance() throws Exception {
        vt.allowance(NO_CAP, 20, NO_CAP).usedByOthers(0, 4, 4);
        try (RedisProcess redis = RedisProcess.start()) {
            startApp("REDIS_URL", redis.url());
            Application other = Instances.start(settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "1000",
                    "VT_WORKERS", "2", "REDIS_URL", redis.url()));
            try {
                submit(40);

                await("lookups paused", Duration.ofSeconds(20), () -> app.limiter().pause().isPresent()
                        && other.limiter().pause().isPresent());
                Thread.sleep(500);

                // one request per instance may still meet the spent day at its edge (README); never more
                assertEquals(16, answered());
                assertTrue(vt.rateLimitedCalls() <= 2, vt.rateLimitedCalls() + " 429s");
                Instant until = other.limiter().pause().get().until(); // Redis keeps it as a time to live
                assertTrue(Duration.between(RateLimiter.startOfNextUtcDay(Instant.now()), until).abs().toMillis() < 1000,
                        "paused until " + until);
            } finally {
                other.close();
                app.close();
                app = null;
            }
        }
    }

    @Test
    void a495Of500DaySpentByOtherToolsLeavesFiveLookupsAndNo429() throws Exception {
        vt.allowance(NO_CAP, 500, NO_CAP).usedByOthers(0, 495, 495);
        startApp();
        submit(30);

        await("lookups paused", Duration.ofSeconds(20), () -> app.limiter().pause().isPresent());
        Thread.sleep(500);

        assertEquals(5, answered());
        assertEquals(0, vt.rateLimitedCalls());
        RateLimiter.Pause pause = app.limiter().pause().get();
        assertEquals(RateLimiter.startOfNextUtcDay(Instant.now()), pause.until());
        assertTrue(pause.reason().contains("495 of them by other tools"), pause.reason());
        Map<String, Object> today = (Map<String, Object>) healthQuota().get("today");
        assertEquals(500L, today.get("used"));
        assertEquals(495L, today.get("byOtherTools"));
        System.out.println("quota meter, 495 of 500 used by others: " + healthQuota().get("summary")
                + " | notice: " + app.status().getNotice());
    }

    @Test
    void aSpentMonthPausesUntilTheFirstOfNextMonthWithoutACall() throws Exception {
        vt.allowance(NO_CAP, 1000, 15_500).usedByOthers(0, 0, 15_500);
        startApp();
        submit(5);

        await("lookups paused", Duration.ofSeconds(20), () -> app.limiter().pause().isPresent());
        Thread.sleep(500);

        assertEquals(0, vt.calls());
        Instant firstOfNextMonth = Instant.now().atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).plusMonths(1)
                .atStartOfDay(ZoneOffset.UTC).toInstant();
        assertEquals(firstOfNextMonth, app.limiter().pause().get().until());
        assertTrue(app.limiter().pause().get().reason().contains("month"), app.limiter().pause().get().reason());
        Map<String, Object> month = (Map<String, Object>) healthQuota().get("month");
        assertEquals(15_500L, month.get("used"));
        assertEquals(15_500L, month.get("limit"));
        System.out.println("quota meter, month spent: " + healthQuota().get("summary")
                + " | notice: " + app.status().getNotice());
    }

    @Test
    void anEndpointAnswering404LeavesTheSettingsInForce() throws Exception {
        vt.quotaAnswer(FakeVirusTotal.error(404, "NotFoundError", "User not found"));
        settingsApplyAndLookupsGoOn();
    }

    @Test
    void anEndpointAnsweringHtmlLeavesTheSettingsInForce() throws Exception {
        vt.quotaAnswer(Reply.of(200, "<html><body>Access to this site is blocked by policy</body></html>"));
        settingsApplyAndLookupsGoOn();
    }

    private void settingsApplyAndLookupsGoOn() throws Exception {
        startApp("VT_REQUESTS_PER_DAY", "500");
        String id = submit(30);

        await("all answered", Duration.ofSeconds(20), () -> Instances.counts(app.batches(), id).getPending() == 0);

        assertEquals(30, answered());
        assertTrue(app.limiter().pause().isEmpty());
        assertEquals(500, app.limiter().perDay());
        assertEquals("settings", healthQuota().get("source"));
        assertTrue(vt.quotaCalls() >= 1);
        assertEquals(1, logs.containing("quota counts for key test").size(), String.join("\n", logs.lines()));
    }
}
