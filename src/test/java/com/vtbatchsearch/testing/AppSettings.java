package com.vtbatchsearch.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Sets the app's settings as system properties for an app deployed in this JVM (embedded TomEE reads
 * them at deployment), clearing whatever an earlier test class set.
 */
public final class AppSettings {
    private static final List<String> ALL = List.of("VT_API_KEY", "VT_BASE_URL", "VT_REQUESTS_PER_MINUTE",
            "VT_REQUESTS_PER_DAY", "VT_TIMEOUT_SECONDS", "VT_MAX_ATTEMPTS", "VT_RETRY_BASE_MS", "REDIS_URL",
            "DATA_DIR", "DB_URL", "DB_USER", "DB_PASSWORD", "MAX_UPLOAD_MB", "MAX_HASHES_PER_BATCH", "ACCESS_TOKEN",
            "MAX_BATCHES_PER_HOUR_PER_CLIENT", "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "BATCH_RETENTION_DAYS",
            "SQLITE_JOURNAL_MODE", "MALICIOUS_MIN_ENGINES", "MY_ENGINES");

    private AppSettings() {
    }

    /** A fresh data directory under the build directory. */
    public static Path freshDataDir(String name) {
        return Path.of("target", "it-data", name + "-" + UUID.randomUUID()).toAbsolutePath();
    }

    public static void apply(Map<String, String> settings) {
        ALL.forEach(System::clearProperty);
        settings.forEach(System::setProperty);
    }
}
