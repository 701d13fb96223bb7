package com.vtbatchsearch.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The database that holds batches, lookup states and cached VirusTotal answers, behind a connection
 * pool: an SQLite file (one instance) or a PostgreSQL database (shared by several instances).
 * <p>
 * The schema is versioned: the migrations in {@code db/migration} (Flyway) run before the first
 * connection is handed out. A database created before migrations existed (today's tables, no history)
 * is baselined at version 1 and keeps its data. On PostgreSQL, Flyway's lock lets instances that start
 * together migrate one at a time.
 * <p>
 * SQLite runs in WAL mode with a pool, or (on network shares) with a rollback journal and one exclusive
 * connection; see {@link SqliteJournalMode}. A busy timeout makes writers wait for each other instead
 * of failing, and every write transaction starts IMMEDIATE so a reader never has to upgrade.
 * <p>
 * Opening a PostgreSQL database sends nothing over the network: the pool connects in the background,
 * so the app starts while the database is down and migrates as soon as it answers.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    private static final int BUSY_TIMEOUT_MS = 30_000;
    private static final int POSTGRES_CONNECT_TIMEOUT_S = 5;
    /** Bounds a read that never comes back (a host that vanished); far above any query of this app. */
    private static final int POSTGRES_SOCKET_TIMEOUT_S = 60;
    /** How long a health check waits for a connection while the database is known to be down. */
    private static final Duration DOWN_PROBE = Duration.ofMillis(500);
    private static final int VALIDATION_TIMEOUT_S = 2;
    /** A table every release has had: its presence without Flyway's history marks a pre-Flyway database. */
    private static final String FIRST_RELEASE_TABLE = "batches";

    private final HikariDataSource dataSource;
    private final boolean postgres;
    private volatile boolean schemaReady;
    /**
     * What the last check saw; decides how long the next health check waits for a connection. False
     * until the database first answers, so /health answers promptly at a start without a database.
     */
    private volatile boolean lastSeenUp;

    private static final int MIGRATE_ATTEMPTS = 5;
    private static final Duration MIGRATE_RETRY = Duration.ofMillis(300);

    private Database(HikariDataSource dataSource, boolean postgres) {
        this.dataSource = dataSource;
        this.postgres = postgres;
    }

    /**
     * Opens the database a JDBC URL names: {@code jdbc:postgresql://...} or {@code jdbc:sqlite:<file>}
     * (the file's directory is created when missing; WAL mode). User and password may be null.
     */
    public static Database open(String jdbcUrl, String user, String password) {
        return open(jdbcUrl, user, password, SqliteJournalMode.WAL);
    }

    /** As {@link #open(String, String, String)}, with the SQLite journal mode to use for a file. */
    public static Database open(String jdbcUrl, String user, String password, SqliteJournalMode sqliteMode) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return openPostgres(jdbcUrl, user, password);
        }
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return openSqliteFile(Path.of(jdbcUrl.substring("jdbc:sqlite:".length())), sqliteMode);
        }
        throw new IllegalArgumentException("DB_URL must start with jdbc:postgresql:// or jdbc:sqlite:");
    }

    /** Opens (creating when needed) the database file {@code vt-batch-search.db} in {@code dataDir}. */
    public static Database openSqlite(Path dataDir) {
        return openSqlite(dataDir, SqliteJournalMode.WAL);
    }

    public static Database openSqlite(Path dataDir, SqliteJournalMode mode) {
        return openSqliteFile(dataDir.resolve("vt-batch-search.db"), mode);
    }

    private static Database openSqliteFile(Path file, SqliteJournalMode mode) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("DATA_DIR " + dir + " cannot be created", e);
        }
        boolean exclusive = mode == SqliteJournalMode.DELETE;
        SQLiteConfig sqlite = new SQLiteConfig();
        sqlite.setJournalMode(exclusive ? SQLiteConfig.JournalMode.DELETE : SQLiteConfig.JournalMode.WAL);
        if (exclusive) {
            sqlite.setLockingMode(SQLiteConfig.LockingMode.EXCLUSIVE);
        }
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        sqlite.setBusyTimeout(BUSY_TIMEOUT_MS);
        // 16 MB of page cache per connection (SQLite's default is 2 MB): the index pages a 100,000-hash
        // upload or report touches stay in memory instead of being read again.
        sqlite.setCacheSize(-16384);
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        sqlite.enforceForeignKeys(true);
        // The data source is handed over directly: DriverManager cannot see the driver in a webapp class loader.
        SQLiteDataSource sqliteSource = new SQLiteDataSource(sqlite);
        sqliteSource.setUrl("jdbc:sqlite:" + file.toAbsolutePath());

        HikariConfig pool = new HikariConfig();
        pool.setPoolName("vt-batch-search-db");
        pool.setDataSource(sqliteSource);
        // An exclusive lock belongs to one connection: a second one would wait for it forever.
        pool.setMaximumPoolSize(exclusive ? 1 : 6);
        pool.setMinimumIdle(1);
        if (exclusive) {
            // Retiring the connection would hand the lock to a new one for nothing.
            pool.setMaxLifetime(0);
        }
        pool.setConnectionTimeout(BUSY_TIMEOUT_MS);
        Database database = new Database(new HikariDataSource(pool), false);
        try (Connection c = database.connection()) {
            LOG.info(() -> "SQLite database " + file.toAbsolutePath() + " open (journal mode " + mode + ")");
            return database;
        } catch (SQLException | RuntimeException e) {
            database.close();
            throw new StoreException("cannot open the SQLite database " + file.toAbsolutePath(), e);
        }
    }

    private static Database openPostgres(String jdbcUrl, String user, String password) {
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setURL(jdbcUrl);
        if (user != null) {
            pg.setUser(user);
        }
        if (password != null) {
            pg.setPassword(password);
        }
        pg.setConnectTimeout(POSTGRES_CONNECT_TIMEOUT_S);
        pg.setLoginTimeout(POSTGRES_CONNECT_TIMEOUT_S);
        pg.setSocketTimeout(POSTGRES_SOCKET_TIMEOUT_S);
        pg.setTcpKeepAlive(true);
        pg.setApplicationName("vt-batch-search");

        HikariConfig pool = new HikariConfig();
        pool.setPoolName("vt-batch-search-db");
        pool.setDataSource(pg);
        pool.setMaximumPoolSize(8);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(POSTGRES_CONNECT_TIMEOUT_S * 1000L);
        // Start even when PostgreSQL is down: the pool connects in the background and when asked.
        pool.setInitializationFailTimeout(-1);
        return new Database(new HikariDataSource(pool), true);
    }

    /** True when this is a PostgreSQL database. */
    public boolean isPostgres() {
        return postgres;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** A pooled connection; the schema is migrated to the latest version before the first one is handed out. */
    public Connection connection() throws SQLException {
        // Connect first: while the database is down, callers fail side by side within the pool's
        // timeout instead of queueing one after another for the migration.
        Connection c = dataSource.getConnection();
        if (!schemaReady) {
            // Flyway takes its connections from this pool: holding one meanwhile could starve it.
            c.close();
            migrate();
            c = dataSource.getConnection();
        }
        lastSeenUp = true;
        return c;
    }

    /**
     * True when the database answers and its schema is migrated. Bounded in time: while the database is
     * known to be down, it waits at most half a second for a connection, so {@code /health} answers
     * promptly; while it is up, as long as any request would (a busy pool is not a dead database).
     */
    public boolean isHealthy() {
        return isHealthyWithin(lastSeenUp ? Duration.ofMillis(dataSource.getConnectionTimeout()) : DOWN_PROBE);
    }

    /** True when a connection is to be had within {@code wait}, answers, and the schema is migrated. */
    public boolean isHealthyWithin(Duration wait) {
        boolean up = answers(wait);
        lastSeenUp = up;
        return up;
    }

    private boolean answers(Duration wait) {
        try (Connection c = pooledConnection(wait)) {
            if (!c.isValid(VALIDATION_TIMEOUT_S)) {
                return false;
            }
        } catch (SQLException | RuntimeException e) {
            return false;
        }
        try {
            if (!schemaReady) {
                migrate();
            }
            return true;
        } catch (RuntimeException e) {
            LOG.warning(() -> "the database answers but its schema cannot be migrated: " + e.getMessage());
            return false;
        }
    }

    private Connection pooledConnection(Duration wait) throws SQLException {
        if (dataSource.getHikariPoolMXBean() instanceof HikariPool pool) {
            return pool.getConnection(Math.max(250, wait.toMillis()));
        }
        return dataSource.getConnection();
    }

    /** The schema version the database is at, e.g. "1"; empty when it cannot be read. */
    public String schemaVersion() {
        try {
            if (!schemaReady) {
                migrate();
            }
            var current = flyway("1").info().current();
            return current == null || current.getVersion() == null ? "" : current.getVersion().getVersion();
        } catch (RuntimeException e) {
            return "";
        }
    }

    /**
     * Brings the schema to the latest migration. Synchronised so one instance migrates once; among
     * instances, Flyway locks its history table (PostgreSQL: an advisory lock) while it works.
     */
    private synchronized void migrate() {
        for (int attempt = 1; !schemaReady; attempt++) {
            try {
                migrateOnce();
            } catch (StoreException e) {
                // Instances starting together on a fresh database: one creates Flyway's history table
                // and migrates under its lock while another, seeing a schema that is no longer empty,
                // tries to baseline it and fails. Once the first is done the others find its history.
                if (attempt >= MIGRATE_ATTEMPTS || !(e.getCause() instanceof FlywayException)) {
                    throw e;
                }
                try {
                    Thread.sleep(MIGRATE_RETRY.toMillis() * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void migrateOnce() {
        String baseline;
        try {
            // Today's tables without Flyway's history: a database of the release before migrations,
            // whose schema is exactly V1. Any other non-empty schema (a shared database's public schema)
            // is baselined below V1, so V1 still creates the tables.
            baseline = hasFirstReleaseTables() ? "1" : "0";
        } catch (SQLException e) {
            throw new StoreException("the database does not answer", e);
        }
        try {
            MigrateResult result = flyway(baseline).migrate();
            schemaReady = true;
            LOG.info(() -> "database schema at version " + (result.targetSchemaVersion != null
                    ? result.targetSchemaVersion : result.initialSchemaVersion) + " (" + (postgres ? "PostgreSQL"
                    : "SQLite") + ", " + result.migrationsExecuted + " migrations applied now)");
        } catch (FlywayException e) {
            throw new StoreException("cannot migrate the database schema", e);
        }
    }

    private boolean hasFirstReleaseTables() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            DatabaseMetaData meta = c.getMetaData();
            String schema = postgres ? c.getSchema() : null;
            try (ResultSet tables = meta.getTables(null, schema, FIRST_RELEASE_TABLE, new String[] {"TABLE"})) {
                return tables.next();
            }
        }
    }

    private Flyway flyway(String baselineVersion) {
        return Flyway.configure(Database.class.getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .baselineOnMigrate(true)
                .baselineVersion(baselineVersion)
                .baselineDescription("schema of the release before versioned migrations")
                .load();
    }

    /** A unit of work run inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction on a pooled connection and commits it. A transaction the
     * database aborted to break a deadlock or a conflict is run again a few times after a short random
     * back-off, so {@code work} must do nothing outside the transaction that cannot be repeated. Any
     * other failure rolls back and is thrown as a {@link StoreException} with {@code failure} as message.
     */
    public <T> T inTransaction(String failure, Work<T> work) {
        return Transactions.run(this::connection, failure, work);
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
