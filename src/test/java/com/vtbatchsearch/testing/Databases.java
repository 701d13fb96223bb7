package com.vtbatchsearch.testing;

import com.vtbatchsearch.store.Database;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Databases of both engines for a test class parameterized by {@link Engine}, registered as a static
 * {@code @RegisterExtension} field: SQLite files in the test's directory, and schemas of one PostgreSQL
 * database created on first use and dropped after the class.
 */
public final class Databases implements AfterAllCallback {
    public enum Engine { SQLITE, POSTGRESQL }

    private PostgresDatabase postgres;

    /** The URL of a fresh, empty database: the SQLite file in {@code dataDir}, or a new PostgreSQL schema. */
    public synchronized String freshUrl(Engine engine, Path dataDir) {
        if (engine == Engine.SQLITE) {
            return "jdbc:sqlite:" + dataDir.resolve("vt-batch-search.db");
        }
        if (postgres == null) {
            postgres = PostgresDatabase.create();
        }
        return postgres.freshSchemaUrl();
    }

    /** Opens a database at a URL from {@link #freshUrl}; several may be open on one, as several instances would. */
    public static Database open(String url) {
        return Database.open(url, url.startsWith("jdbc:postgresql:") ? PostgresDatabase.USER : null, null);
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }
}
