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
import javax.sql.DataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The SQLite database that holds batches, lookup states and cached VirusTotal answers: a pooled data
 * source in WAL mode with a busy timeout, so concurrent uploads and the worker wait for each other
 * instead of failing, and every write transaction starts IMMEDIATE so a reader never has to upgrade.
 */
public final class Database implements AutoCloseable {
    static final String FILE_NAME = "vt-batch-search.db";
    private static final int BUSY_TIMEOUT_MS = 30_000;

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Opens (creating when needed) the database file in {@code dataDir} and creates the schema. */
    public static Database openSqlite(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("DATA_DIR " + dataDir + " cannot be created", e);
        }
        SQLiteConfig sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        sqlite.setBusyTimeout(BUSY_TIMEOUT_MS);
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        sqlite.enforceForeignKeys(true);
        // The data source is handed over directly: DriverManager cannot see the driver in a webapp class loader.
        SQLiteDataSource sqliteSource = new SQLiteDataSource(sqlite);
        sqliteSource.setUrl("jdbc:sqlite:" + dataDir.resolve(FILE_NAME).toAbsolutePath());

        HikariConfig pool = new HikariConfig();
        pool.setPoolName("vt-batch-search-db");
        pool.setDataSource(sqliteSource);
        pool.setMaximumPoolSize(6);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(BUSY_TIMEOUT_MS);
        Database database = new Database(new HikariDataSource(pool));
        database.createSchema();
        return database;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /** True when a trivial query answers. */
    public boolean isHealthy() {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            return s.execute("SELECT 1");
        } catch (SQLException e) {
            return false;
        }
    }

    private void createSchema() {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            for (String sql : Schema.STATEMENTS) {
                s.executeUpdate(sql);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot create the database schema", e);
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
