package com.vtbatchsearch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.Migrations;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The versioned schema: a fresh database is migrated, on both engines and by instances starting together. */
class DatabaseMigrationTest {
    @TempDir
    Path dataDir;

    /** Flyway's history: "type version success" per row, in order. */
    static List<String> history(Connection c) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT type, version, success FROM flyway_schema_history"
                        + " ORDER BY installed_rank")) {
            while (r.next()) {
                rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getBoolean(3));
            }
        }
        return rows;
    }

    static List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getTables(null, c.getSchema(), "%", new String[] {"TABLE"})) {
            while (r.next()) {
                names.add(r.getString("TABLE_NAME").toLowerCase());
            }
        }
        return names;
    }

    @Test
    void aFreshSqliteFileIsMigratedToTheLatestVersionOnce() throws Exception {
        try (Database database = Database.openSqlite(dataDir); Connection c = database.connection()) {
            assertEquals(Migrations.appliedAfter(0), history(c));
            assertTrue(tables(c).containsAll(List.of("batches", "batch_items", "lookups", "files", "api_calls")),
                    tables(c).toString());
            assertEquals(Migrations.latest(), database.schemaVersion());
        }
        try (Database again = Database.openSqlite(dataDir); Connection c = again.connection()) {
            assertEquals(Migrations.appliedAfter(0), history(c), "a second start applies nothing");
        }
    }

    @Test
    void onANetworkShareSqliteKeepsARollbackJournalAndHoldsTheFileLockOnce() throws Exception {
        try (Database database = Database.openSqlite(dataDir, SqliteJournalMode.DELETE)) {
            try (Connection c = database.connection(); Statement s = c.createStatement()) {
                assertEquals("delete", pragma(s, "journal_mode"));
                assertEquals("exclusive", pragma(s, "locking_mode"));
                s.executeUpdate("INSERT INTO api_calls (called_at) VALUES (1)");
            }
            assertTrue(database.isHealthy());
            // Another process (here: a connection outside the pool) cannot touch the file meanwhile.
            String url = "jdbc:sqlite:" + dataDir.resolve("vt-batch-search.db").toAbsolutePath();
            try (Connection outsider = DriverManager.getConnection(url + "?busy_timeout=200");
                    Statement s = outsider.createStatement()) {
                SQLException locked = assertThrows(SQLException.class,
                        () -> s.executeQuery("SELECT count(*) FROM api_calls").next());
                assertTrue(locked.getMessage().contains("locked") || locked.getMessage().contains("BUSY"),
                        locked.getMessage());
            }
        }
        // Closed: the lock is released, and a WAL start on the same file finds the data.
        try (Database database = Database.openSqlite(dataDir); Connection c = database.connection();
                Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM api_calls")) {
            assertTrue(r.next());
            assertEquals(1, r.getInt(1));
        }
    }

    private static String pragma(Statement s, String name) throws SQLException {
        try (ResultSet r = s.executeQuery("PRAGMA " + name)) {
            assertTrue(r.next());
            return r.getString(1).toLowerCase();
        }
    }

    @Test
    void severalInstancesStartingTogetherMigrateOneFreshPostgresDatabaseOnce() throws Exception {
        int instances = 4;
        try (PostgresDatabase postgres = PostgresDatabase.create()) {
            ExecutorService threads = Executors.newFixedThreadPool(instances);
            List<Database> opened = new ArrayList<>();
            try {
                CountDownLatch ready = new CountDownLatch(instances);
                List<Future<Boolean>> started = new ArrayList<>();
                for (int i = 0; i < instances; i++) {
                    Database database = Database.open(postgres.jdbcUrl(), PostgresDatabase.USER, null);
                    opened.add(database);
                    Callable<Boolean> start = () -> {
                        ready.countDown();
                        ready.await();
                        try (Connection c = database.connection(); Statement s = c.createStatement()) {
                            return s.execute("SELECT count(*) FROM batches");
                        }
                    };
                    started.add(threads.submit(start));
                }
                for (Future<Boolean> instance : started) {
                    assertTrue(instance.get(60, TimeUnit.SECONDS), "every instance starts and finds the tables");
                }
                try (Connection c = opened.get(0).connection()) {
                    assertEquals(Migrations.appliedAfter(0), history(c), "each migration ran once");
                }
            } finally {
                threads.shutdownNow();
                opened.forEach(Database::close);
            }
        }
    }

    @Test
    void aPostgresSchemaHoldingOtherTablesStillGetsTheAppsTables() throws Exception {
        try (PostgresDatabase postgres = PostgresDatabase.create()) {
            String url = postgres.freshSchemaUrl();
            try (Connection c = DriverManager.getConnection(url, PostgresDatabase.USER, "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE someone_elses (id INTEGER)");
            }
            try (Database database = Database.open(url, PostgresDatabase.USER, null);
                    Connection c = database.connection()) {
                List<String> expected = new ArrayList<>(List.of("BASELINE 0 true"));
                expected.addAll(Migrations.appliedAfter(0));
                assertEquals(expected, history(c));
                assertTrue(tables(c).containsAll(List.of("batches", "batch_items", "lookups", "files", "api_calls",
                        "someone_elses")), tables(c).toString());
            }
        }
    }
}
