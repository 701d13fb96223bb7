package com.vtbatchsearch.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.PostgresDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HikariCP logs through SLF4J; with SLF4J's java.util.logging provider in the WAR its lines reach the
 * container's log instead of vanishing, and a database password, given as DB_PASSWORD or inside the
 * JDBC URL, is in none of them, at any level. Hikari reports a database it cannot reach at debug level
 * only (the app warns itself), and warns when a connection in use breaks.
 */
class DatabaseLoggingTest {
    private static final String SECRET = "secret-" + UUID.randomUUID();
    private static final String MISSING = "jdbc:postgresql://127.0.0.1:5432/vtbatch_nowhere?password=" + SECRET;
    private static final String ROLE = "vtbatch_no_such_role";
    /** Loggers turned up to everything for the test, so that even debug lines are checked for the secret. */
    private static final List<String> VERBOSE = List.of("com.zaxxer.hikari", "org.postgresql");

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final List<Level> levels = new CopyOnWriteArrayList<>();

    @BeforeEach
    void captureLogs() {
        capture.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(capture);
        for (String name : VERBOSE) {
            Logger logger = Logger.getLogger(name);
            levels.add(logger.getLevel());
            logger.setLevel(Level.ALL);
        }
    }

    @AfterEach
    void release() {
        Logger.getLogger("").removeHandler(capture);
        for (int i = 0; i < VERBOSE.size(); i++) {
            Logger.getLogger(VERBOSE.get(i)).setLevel(levels.get(i));
        }
    }

    @Test
    void aConnectionThePoolLosesIsWarnedAboutInJulWithoutThePassword() throws Exception {
        try (PostgresDatabase pg = PostgresDatabase.create();
                Database database = Database.open(pg.jdbcUrl() + "?password=" + SECRET, PostgresDatabase.USER, SECRET);
                Connection c = database.connection();
                Statement s = c.createStatement()) {
            long pid;
            try (ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
                r.next();
                pid = r.getLong(1);
            }
            try (Connection admin = DriverManager.getConnection(pg.jdbcUrl(), PostgresDatabase.USER, "");
                    Statement kill = admin.createStatement()) {
                kill.execute("SELECT pg_terminate_backend(" + pid + ")");
            }
            assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
        }

        assertTrue(records.stream().anyMatch(r -> r.getLoggerName().startsWith("com.zaxxer.hikari")
                && r.getLevel() == Level.WARNING && r.getMessage().contains("marked as broken")),
                "Hikari's warning reaches JUL:\n" + logged());
        assertSecretNeverLogged();
    }

    @Test
    void aPoolWhoseRoleDoesNotExistLogsThroughJulWithoutThePassword() {
        // the role does not exist, so the connection fails whether or not a server listens on 5432
        try (Database database = Database.open(MISSING, ROLE, SECRET)) {
            assertTrue(database.isPostgres());
            assertFalse(database.isHealthy(), "a role that does not exist cannot connect");
        }

        assertTrue(records.stream().anyMatch(r -> r.getLoggerName().startsWith("com.zaxxer.hikari")
                && r.getLevel().intValue() >= Level.INFO.intValue()), "Hikari's lines reach JUL:\n" + logged());
        assertSecretNeverLogged();
    }

    private void assertSecretNeverLogged() {
        assertFalse(records.isEmpty());
        String all = logged();
        assertFalse(all.contains(SECRET), "the password was logged:\n" + all);
    }

    /** Every captured line as a container would print it, stack traces included. */
    private String logged() {
        SimpleFormatter format = new SimpleFormatter();
        return records.stream().map(format::format).collect(Collectors.joining());
    }
}
