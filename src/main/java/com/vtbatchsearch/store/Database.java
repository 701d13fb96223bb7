package com.vtbatchsearch.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The database that holds batches, lookup states and cached VirusTotal answers, behind a connection
 * pool: an SQLite file (one instance) or a PostgreSQL database (shared by several instances).
 * <p>
 * SQLite runs in WAL mode with a busy timeout, so concurrent uploads and the worker wait for each
 * other instead of failing, and every write transaction starts IMMEDIATE so a reader never has to
 * upgrade. The pool starts even when the database does not answer yet; the schema is created on the
 * first connection that succeeds, so the app comes up before its database and recovers when it returns.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    private static final int BUSY_TIMEOUT_MS = 30_000;
    private static final int POSTGRES_CONNECT_TIMEOUT_S = 5;
    /** Serialises schema creation among instances that start together on one PostgreSQL database. */
    private static final long SCHEMA_LOCK = 0x7674_6261_7463_6800L;

    private final HikariDataSource dataSource;
    private final boolean postgres;
    private volatile boolean schemaReady;

    private Database(HikariDataSource dataSource, boolean postgres) {
        this.dataSource = dataSource;
        this.postgres = postgres;
    }

    /**
     * Opens the database a JDBC URL names: {@code jdbc:postgresql://...} or {@code jdbc:sqlite:<file>}
     * (the file's directory is created when missing). User and password may be null.
     */
    public static Database open(String jdbcUrl, String user, String password) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return openPostgres(jdbcUrl, user, password);
        }
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return openSqliteFile(Path.of(jdbcUrl.substring("jdbc:sqlite:".length())));
        }
        throw new IllegalArgumentException("DB_URL must start with jdbc:postgresql:// or jdbc:sqlite:");
    }

    /** Opens (creating when needed) the database file {@code vt-batch-search.db} in {@code dataDir}. */
    public static Database openSqlite(Path dataDir) {
        return openSqliteFile(dataDir.resolve("vt-batch-search.db"));
    }

    private static Database openSqliteFile(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("DATA_DIR " + dir + " cannot be created", e);
        }
        SQLiteConfig sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        sqlite.setBusyTimeout(BUSY_TIMEOUT_MS);
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        sqlite.enforceForeignKeys(true);
        // The data source is handed over directly: DriverManager cannot see the driver in a webapp class loader.
        SQLiteDataSource sqliteSource = new SQLiteDataSource(sqlite);
        sqliteSource.setUrl("jdbc:sqlite:" + file.toAbsolutePath());

        HikariConfig pool = new HikariConfig();
        pool.setPoolName("vt-batch-search-db");
        pool.setDataSource(sqliteSource);
        pool.setMaximumPoolSize(6);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(BUSY_TIMEOUT_MS);
        return started(new Database(new HikariDataSource(pool), false));
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
        pg.setTcpKeepAlive(true);
        pg.setApplicationName("vt-batch-search");

        HikariConfig pool = new HikariConfig();
        pool.setPoolName("vt-batch-search-db");
        pool.setDataSource(pg);
        pool.setMaximumPoolSize(8);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(POSTGRES_CONNECT_TIMEOUT_S * 1000L);
        // Start even when PostgreSQL is down: connections are made when asked for.
        pool.setInitializationFailTimeout(-1);
        return started(new Database(new HikariDataSource(pool), true));
    }

    private static Database started(Database database) {
        try (Connection c = database.connection()) {
            return database;
        } catch (SQLException | StoreException e) {
            if (!database.postgres) {
                database.close();
                throw new StoreException("cannot open the SQLite database", e);
            }
            LOG.warning(() -> "the database does not answer yet (" + e.getMessage()
                    + "); the schema is created as soon as it does");
            return database;
        }
    }

    /** True when this is a PostgreSQL database. */
    public boolean isPostgres() {
        return postgres;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** A pooled connection; the first one that succeeds creates the schema when missing. */
    public Connection connection() throws SQLException {
        Connection c = dataSource.getConnection();
        if (!schemaReady) {
            try {
                createSchema(c);
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
        return c;
    }

    /** True when a trivial query answers. */
    public boolean isHealthy() {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            return s.execute("SELECT 1");
        } catch (SQLException | StoreException e) {
            return false;
        }
    }

    private synchronized void createSchema(Connection c) throws SQLException {
        if (schemaReady) {
            return;
        }
        boolean autoCommit = c.getAutoCommit();
        try (Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            if (postgres) {
                s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
            }
            for (String sql : Schema.STATEMENTS) {
                s.executeUpdate(sql);
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw new StoreException("cannot create the database schema", e);
        } finally {
            c.setAutoCommit(autoCommit);
        }
        schemaReady = true;
        LOG.info(() -> "database schema ready (" + (postgres ? "PostgreSQL" : "SQLite") + ")");
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
