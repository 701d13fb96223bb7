package com.vtbatchsearch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.vtbatchsearch.testing.AppClient;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.TomcatProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The WAR on plain Tomcat as Azure App Service runs it (WEBSITE_SITE_NAME set, no DB_URL): SQLite in
 * its network-share mode (rollback journal, exclusive lock, one connection) by default, and the whole
 * flow works in it: uploads while the workers write answers and readers read reports.
 */
class AppServiceSqliteIT {
    private static final int BIG = 600;

    private static FakeVirusTotal vt;
    private static TomcatProcess tomcat;
    private static AppClient app;

    @BeforeAll
    static void deploy() throws Exception {
        vt = new FakeVirusTotal().perMinuteLimit(6000);
        tomcat = TomcatProcess.start("app-service-sqlite", Map.of(
                "WEBSITE_SITE_NAME", "vt-batch-search-test",
                "VT_API_KEY", FakeVirusTotal.API_KEY,
                "VT_BASE_URL", vt.baseUrl(),
                "VT_REQUESTS_PER_MINUTE", "6000",
                "VT_REQUESTS_PER_DAY", "100000",
                "DATA_DIR", AppSettings.freshDataDir("app-service").toString()));
        app = new AppClient(tomcat.baseUri());
    }

    @AfterAll
    static void undeploy() {
        if (tomcat != null) {
            tomcat.close();
        }
        if (vt != null) {
            vt.close();
        }
    }

    @Test
    void onAppServiceTheSqliteFileIsOpenedInExclusiveRollbackJournalMode() {
        assertTrue(tomcat.log().contains("journal mode DELETE"), tomcat.log());
    }

    @Test
    void uploadsAreLookedUpAndReportedWhileOthersReadAndUpload() throws Exception {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < BIG; i++) {
            many.append(String.format("%040x%n", 0xabc000L + i));
        }
        String big = app.upload(many.toString());
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> small = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                small.add(clients.submit(() -> {
                    String id = app.upload(String.format("%064x%n%032x%n", n + 1, n + 1000));
                    for (int read = 0; read < 5; read++) {
                        assertEquals(200, app.http().get("/report/" + id).statusCode());
                        assertEquals(200, app.http().get("/api/batches/" + big + "?limit=100").statusCode());
                    }
                    return id;
                }));
            }
            for (Future<String> id : small) {
                JsonNode batch = app.awaitDone(id.get(), Duration.ofSeconds(120));
                assertEquals(2, batch.path("counts").path("unique").asInt());
            }
        } finally {
            clients.shutdownNow();
        }
        JsonNode batch = app.awaitDone(big, Duration.ofSeconds(180));
        assertEquals(BIG, batch.path("counts").path("done").asInt());
        assertEquals(BIG + 8, vt.calls(), "one VirusTotal call per distinct hash");

        HttpResponse<String> csv = app.http().get("/api/batches/" + big + "?format=csv");
        assertEquals(200, csv.statusCode());
        assertEquals(BIG + 1, csv.body().lines().count(), "header and one row per hash");
        assertFalse(tomcat.log().contains("database is locked"), tomcat.log());
        assertFalse(tomcat.log().contains("SEVERE"), tomcat.log());
        assertEquals(200, app.health().status(), app.health().body().toString());
    }
}
