package com.vtbatchsearch.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Reads, read-only, the SQLite file of an app instance deployed with a given {@code DATA_DIR}. */
public final class AppDatabase {
    private AppDatabase() {
    }

    /** The rows in {@code table}: to check that a refused request stored nothing. */
    public static long count(Path dataDir, String table) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + dataDir.resolve("vt-batch-search.db") + "?mode=ro");
                ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
            return r.getLong(1);
        }
    }
}
