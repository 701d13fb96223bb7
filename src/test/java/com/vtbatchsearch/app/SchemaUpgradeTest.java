package com.vtbatchsearch.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.testing.Migrations;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A database created by the release before versioned migrations (its DDL copied below, with a batch
 * and cached answers in it) is upgraded in place when the new code starts on it: baselined, every
 * batch and answer still readable, new uploads stored beside them. On both engines.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(SchemaUpgradeTest.Engine.class)
class SchemaUpgradeTest {
    enum Engine { SQLITE, POSTGRESQL }

    /** The schema as the previous release created it (store/Schema.java), statement for statement. */
    private static final List<String> PREVIOUS_RELEASE_SCHEMA = List.of(
            """
            CREATE TABLE IF NOT EXISTS batches (
              id           TEXT PRIMARY KEY,
              created_at   BIGINT NOT NULL,
              found        BIGINT NOT NULL,
              unique_count INTEGER NOT NULL
            )""",
            """
            CREATE TABLE IF NOT EXISTS batch_items (
              batch_id  TEXT NOT NULL REFERENCES batches(id),
              position  INTEGER NOT NULL,
              hash      TEXT NOT NULL,
              hash_type TEXT NOT NULL,
              PRIMARY KEY (batch_id, position)
            )""",
            "CREATE INDEX IF NOT EXISTS batch_items_hash ON batch_items(hash)",
            """
            CREATE TABLE IF NOT EXISTS lookups (
              hash        TEXT PRIMARY KEY,
              status      TEXT NOT NULL,
              attempts    INTEGER NOT NULL DEFAULT 0,
              refresh     INTEGER NOT NULL DEFAULT 0,
              error       TEXT,
              sha256      TEXT,
              updated_at  BIGINT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS lookups_status ON lookups(status)",
            """
            CREATE TABLE IF NOT EXISTS files (
              sha256        TEXT PRIMARY KEY,
              md5           TEXT,
              sha1          TEXT,
              malicious     INTEGER NOT NULL,
              suspicious    INTEGER NOT NULL,
              undetected    INTEGER NOT NULL,
              harmless      INTEGER NOT NULL,
              label         TEXT,
              name          TEXT,
              file_type     TEXT,
              first_seen    BIGINT,
              last_analysis BIGINT,
              reputation    INTEGER,
              tags          TEXT,
              raw_json      TEXT NOT NULL,
              fetched_at    BIGINT NOT NULL
            )""",
            "CREATE TABLE IF NOT EXISTS api_calls (called_at BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS api_calls_time ON api_calls(called_at)");

    private static final String BATCH = "0b7e1f4c-2a53-4c1e-9d0a-6f1c2b3a4d5e";
    private static final String EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f";
    private static final String EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
    private static final String UNKNOWN_SHA1 = "0123456789abcdef0123456789abcdef01234567";
    private static final String FAILED_MD5 = "ffffffffffffffffffffffffffffffff";
    /** Recent, so the answers are fresh and the new code has no reason to touch them. */
    private static final long ANSWERED_AT = Instant.now().minusSeconds(3600).toEpochMilli();

    private static PostgresDatabase postgres;
    /** The newest migration, and the history a baselined database ends with. */

    @Parameter
    Engine engine;

    @TempDir
    Path dataDir;

    @AfterAll
    static void dropPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private String dbUrl() {
        return switch (engine) {
            case SQLITE -> "jdbc:sqlite:" + dataDir.resolve("previous-release.db").toAbsolutePath();
            case POSTGRESQL -> {
                if (postgres == null) {
                    postgres = PostgresDatabase.create();
                }
                yield postgres.freshSchemaUrl();
            }
        };
    }

    /** What the previous release left behind: its tables, a finished batch with three answers, a call. */
    private static void createPreviousRelease(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, PostgresDatabase.USER, "");
                Statement s = c.createStatement()) {
            for (String ddl : PREVIOUS_RELEASE_SCHEMA) {
                s.executeUpdate(ddl);
            }
            s.executeUpdate("INSERT INTO batches VALUES ('" + BATCH + "', 1732000000000, 4, 3)");
            s.executeUpdate("INSERT INTO batch_items VALUES ('" + BATCH + "', 0, '" + EICAR_MD5 + "', 'MD5'),"
                    + " ('" + BATCH + "', 1, '" + UNKNOWN_SHA1 + "', 'SHA1'),"
                    + " ('" + BATCH + "', 2, '" + FAILED_MD5 + "', 'MD5')");
            s.executeUpdate("INSERT INTO lookups (hash, status, attempts, refresh, error, sha256, updated_at) VALUES"
                    + " ('" + EICAR_MD5 + "', 'done', 1, 0, NULL, '" + EICAR_SHA256 + "', " + ANSWERED_AT + "),"
                    + " ('" + UNKNOWN_SHA1 + "', 'not_found', 1, 0, NULL, NULL, " + ANSWERED_AT + "),"
                    + " ('" + FAILED_MD5 + "', 'error', 4, 0, 'HTTP 503 after 4 attempts', NULL, " + ANSWERED_AT + ")");
            s.executeUpdate("INSERT INTO files VALUES ('" + EICAR_SHA256 + "', '" + EICAR_MD5 + "',"
                    + " '3395856ce81f2b7382dee72602f798b642f14140', 60, 0, 7, 0, 'virus.eicar/test', 'eicar.com', 'Text',"
                    + " 1148282716000, 1763632800000, 1500, '[\"text\"]', '{\n  \"data\": {\n    \"id\": \"" + EICAR_SHA256
                    + "\",\n    \"attributes\": {\"names\": [\"eicar.com\"]}\n  }\n}', " + ANSWERED_AT + ")");
            s.executeUpdate("INSERT INTO api_calls VALUES (" + ANSWERED_AT + ")");
        }
    }

    private Application start(String url) {
        Map<String, String> settings = new HashMap<>();
        settings.put("DB_URL", url);
        settings.put("DB_USER", PostgresDatabase.USER);
        settings.put("DATA_DIR", dataDir.toString());
        return Application.start(AppConfig.from(settings), Clock.system(ZoneOffset.UTC));
    }

    /** The history of a database of the release before migrations once upgraded: baselined at V1, then the rest. */
    private static List<String> upgraded() {
        List<String> expected = new ArrayList<>(List.of("BASELINE 1 true"));
        expected.addAll(Migrations.appliedAfter(1));
        return expected;
    }

    /** True when the old answer's text is gone and its compressed form is stored. */
    private static boolean storedCompressed(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, PostgresDatabase.USER, "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT raw_json, raw_gzip FROM files WHERE sha256 = '" + EICAR_SHA256
                        + "'")) {
            r.next();
            return r.getString(1).isEmpty() && r.getBytes(2) != null;
        }
    }

    private static List<String> history(String url) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, PostgresDatabase.USER, "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT type, version, success FROM flyway_schema_history"
                        + " ORDER BY installed_rank")) {
            while (r.next()) {
                rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getBoolean(3));
            }
        }
        return rows;
    }

    @Test
    void theNewCodeStartsOnThePreviousReleasesDatabaseAndReadsEveryBatchAndAnswer() throws Exception {
        String url = dbUrl();
        createPreviousRelease(url);

        try (Application app = start(url)) {
            assertTrue(app.database().isHealthy());
            assertEquals(Migrations.latest(), app.database().schemaVersion());
            BatchService.Report report = app.batches().report(BATCH).orElseThrow();

            assertEquals(Instant.ofEpochMilli(1732000000000L), report.getBatch().getCreatedAt());
            BatchCounts counts = report.getCounts();
            assertEquals(4, counts.getFound());
            assertEquals(3, counts.getUnique());
            assertEquals(3, counts.getDone(), "answered, not on VirusTotal, or given up");
            assertEquals(1, counts.getNotFound());
            assertEquals(1, counts.getErrors());
            assertEquals(1, counts.getMalicious());
            assertEquals(0, counts.getPending());

            List<BatchItem> items = report.getItems();
            assertEquals(List.of(EICAR_MD5, UNKNOWN_SHA1, FAILED_MD5), items.stream().map(BatchItem::getHash).toList());
            BatchItem eicar = items.get(0);
            assertEquals("malicious", eicar.getVerdict());
            assertEquals(60, eicar.getMalicious());
            assertEquals(67, eicar.getTotal());
            assertEquals("virus.eicar/test", eicar.getLabel());
            assertEquals("eicar.com", eicar.getName());
            assertEquals(EICAR_SHA256, eicar.getSha256());
            assertEquals("not_found", items.get(1).getStatus());
            assertEquals("HTTP 503 after 4 attempts", items.get(2).getError());
            assertEquals("done", app.batches().details(BATCH, EICAR_MD5).orElseThrow().status(),
                    "the stored VirusTotal answer is read");
            // The answer stored as text is compressed after start-up (V4) and reads the same.
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!storedCompressed(url) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(storedCompressed(url), "the old answer is rewritten compressed");
            assertEquals(List.of("eicar.com"), app.batches().details(BATCH, EICAR_MD5).orElseThrow().names(),
                    "the compressed answer is read");

            // New uploads go beside the old ones; a cached answer of the old release still costs no lookup.
            Map<String, HashType> hashes = new LinkedHashMap<>();
            hashes.put(EICAR_MD5, HashType.MD5);
            hashes.put("d41d8cd98f00b204e9800998ecf8427e", HashType.MD5);
            BatchService.Submitted submitted = app.batches().submit(new ExtractedHashes(hashes, 2));
            assertEquals(1, submitted.queued(), "only the new hash needs a lookup");
        }
        assertEquals(upgraded(), history(url), "baselined at version 1, V1 not run again, the later ones run");

        try (Application again = start(url)) {
            assertEquals(3, again.batches().report(BATCH).orElseThrow().getItems().size());
        }
        assertEquals(upgraded(), history(url), "a second start changes nothing");
    }
}
