package com.vtbatchsearch.app;

import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.lookup.HttpProxy;
import com.vtbatchsearch.store.SqliteJournalMode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The application's settings, read once at start-up from environment variables (a system property of
 * the same name wins) and validated; a bad value stops the start with a message naming the setting.
 */
public record AppConfig(
        Optional<String> vtApiKey,
        URI vtBaseUrl,
        int vtRequestsPerMinute,
        int vtRequestsPerDay,
        int vtTimeoutSeconds,
        int vtMaxAttempts,
        long vtRetryBaseMillis,
        int vtWorkers,
        int cacheTtlDays,
        int notFoundTtlHours,
        Optional<URI> redisUrl,
        Path dataDir,
        String dbUrl,
        Optional<String> dbUser,
        Optional<String> dbPassword,
        int maxUploadMb,
        int maxHashesPerBatch,
        Optional<String> accessToken,
        int maxBatchesPerHourPerClient,
        int maxNewHashesPerDayPerClient,
        int batchRetentionDays,
        SqliteJournalMode sqliteJournalMode,
        int vtRequestsPerHour,
        int vtRequestsPerMonth,
        Optional<HttpProxy> vtProxy,
        int maliciousMinEngines,
        List<String> myEngines,
        Optional<URI> webhookUrl,
        Optional<URI> publicBaseUrl,
        int changeMinDelta) {

    public static final String DEFAULT_VT_BASE_URL = "https://www.virustotal.com/api/v3";
    /** Where the SQLite file lives on Azure App Service: /home is the share that survives restarts. */
    public static final Path APP_SERVICE_DATA_DIR = Path.of("/home", "site", "vt-batch-search");
    static final String SQLITE_FILE = "vt-batch-search.db";

    public long maxUploadBytes() {
        return maxUploadMb * 1024L * 1024L;
    }

    /** Reads the settings from the process environment and system properties. */
    public static AppConfig fromEnvironment() {
        return from(name -> {
            String value = System.getProperty(name);
            return value != null ? value : System.getenv(name);
        });
    }

    public static AppConfig from(Map<String, String> settings) {
        return from(settings::get);
    }

    /** Reads and validates every setting; throws {@link InvalidConfigException} listing all bad ones. */
    public static AppConfig from(Function<String, String> source) {
        Reader reader = new Reader(source);
        String key = reader.raw("VT_API_KEY");
        Optional<String> apiKey = key == null || key.isBlank() ? Optional.empty() : Optional.of(key.trim());
        URI baseUrl = reader.httpUrl("VT_BASE_URL", DEFAULT_VT_BASE_URL);
        int perMinute = reader.integer("VT_REQUESTS_PER_MINUTE", 4, 1, 1_000_000);
        int perDay = reader.integer("VT_REQUESTS_PER_DAY", 500, 1, 1_000_000_000);
        int timeout = reader.integer("VT_TIMEOUT_SECONDS", 30, 1, 600);
        int attempts = reader.integer("VT_MAX_ATTEMPTS", 4, 1, 100);
        int retryBase = reader.integer("VT_RETRY_BASE_MS", 5_000, 1, 3_600_000);
        int workers = reader.integer("VT_WORKERS", 2, 1, 16);
        int cacheTtlDays = reader.integer("CACHE_TTL_DAYS", 7, 1, 3650);
        int notFoundTtlHours = reader.integer("NOT_FOUND_TTL_HOURS", 24, 1, 87_600);
        Optional<URI> redis = reader.redisUrl("REDIS_URL");
        Path dataDir = reader.path("DATA_DIR", runsOnAppService(source) ? APP_SERVICE_DATA_DIR
                : Path.of(System.getProperty("user.home"), ".vt-batch-search"));
        String dbUrl = reader.jdbcUrl("DB_URL", "jdbc:sqlite:" + dataDir.resolve(SQLITE_FILE).toAbsolutePath());
        Optional<String> dbUser = Optional.ofNullable(reader.value("DB_USER"));
        Optional<String> dbPassword = Optional.ofNullable(reader.raw("DB_PASSWORD")).filter(p -> !p.isEmpty());
        int maxUpload = reader.integer("MAX_UPLOAD_MB", 10, 1, 2047);
        int maxHashes = reader.integer("MAX_HASHES_PER_BATCH", 100_000, 1, 10_000_000);
        String token = reader.raw("ACCESS_TOKEN");
        Optional<String> accessToken = token == null || token.isBlank() ? Optional.empty() : Optional.of(token.trim());
        if (accessToken.isPresent() && accessToken.get().length() < 16) {
            reader.errors.add("ACCESS_TOKEN must be at least 16 characters long (or unset for an open instance)");
        }
        int batchesPerHour = reader.integer("MAX_BATCHES_PER_HOUR_PER_CLIENT", 30, 1, 1_000_000_000);
        int newHashesPerDay = reader.integer("MAX_NEW_HASHES_PER_DAY_PER_CLIENT", 10_000, 1, 1_000_000_000);
        int retentionDays = reader.integer("BATCH_RETENTION_DAYS", 0, 0, 36_500);
        // App Service's /home is an SMB share: WAL's shared memory is refused there and locks fail.
        SqliteJournalMode journalMode = reader.journalMode("SQLITE_JOURNAL_MODE",
                runsOnAppService(source) ? SqliteJournalMode.DELETE : SqliteJournalMode.WAL);
        int perHour = reader.integer("VT_REQUESTS_PER_HOUR", 0, 0, 1_000_000_000);
        int perMonth = reader.integer("VT_REQUESTS_PER_MONTH", 0, 0, 1_000_000_000);
        Optional<HttpProxy> proxy = reader.proxy(baseUrl);
        int maliciousMinEngines = reader.integer("MALICIOUS_MIN_ENGINES", 1, 1, 1000);
        List<String> myEngines = List.of();
        try {
            List<String> engines = ItemQuery.engineList(reader.value("MY_ENGINES"), "MY_ENGINES");
            myEngines = engines == null ? List.of() : engines;
        } catch (IllegalArgumentException e) {
            reader.errors.add(e.getMessage());
        }
        Optional<URI> webhook = reader.optionalHttpUrl("WEBHOOK_URL");
        Optional<URI> publicBase = reader.optionalHttpUrl("PUBLIC_BASE_URL");
        int changeMinDelta = reader.integer("CHANGE_MIN_DELTA", 3, 1, 1000);
        if (!reader.errors.isEmpty()) {
            throw new InvalidConfigException(reader.errors);
        }
        return new AppConfig(apiKey, baseUrl, perMinute, perDay, timeout, attempts, retryBase, workers,
                cacheTtlDays, notFoundTtlHours, redis, dataDir, dbUrl, dbUser, dbPassword, maxUpload, maxHashes,
                accessToken, batchesPerHour, newHashesPerDay, retentionDays, journalMode, perHour, perMonth, proxy,
                maliciousMinEngines, myEngines, webhook, publicBase, changeMinDelta);
    }

    /** Azure App Service sets these in every app's environment. */
    static boolean runsOnAppService(Function<String, String> source) {
        return isSet(source.apply("WEBSITE_SITE_NAME")) || isSet(source.apply("WEBSITE_INSTANCE_ID"));
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    /** True when DB_URL names a PostgreSQL database rather than the embedded SQLite file. */
    public boolean usesPostgres() {
        return dbUrl.startsWith(POSTGRES_PREFIX);
    }

    private static final String POSTGRES_PREFIX = "jdbc:postgresql://";
    private static final String SQLITE_PREFIX = "jdbc:sqlite:";

    /** Never prints the API key, the database password or the access token. */
    @Override
    public String toString() {
        return "AppConfig[vtApiKey=" + (vtApiKey.isPresent() ? "(set)" : "(not set)")
                + ", vtBaseUrl=" + vtBaseUrl + ", vtRequestsPerMinute=" + vtRequestsPerMinute
                + ", vtRequestsPerDay=" + vtRequestsPerDay + ", vtTimeoutSeconds=" + vtTimeoutSeconds
                + ", vtMaxAttempts=" + vtMaxAttempts + ", vtRetryBaseMillis=" + vtRetryBaseMillis
                + ", vtWorkers=" + vtWorkers + ", cacheTtlDays=" + cacheTtlDays + ", notFoundTtlHours=" + notFoundTtlHours
                + ", redisUrl=" + redisUrl.map(AppConfig::withoutPassword).orElse("(embedded queue)")
                + ", dataDir=" + dataDir + ", dbUrl=" + withoutCredentials(dbUrl)
                + ", dbUser=" + dbUser.orElse("(none)")
                + ", dbPassword=" + (dbPassword.isPresent() ? "(set)" : "(not set)")
                + ", maxUploadMb=" + maxUploadMb
                + ", maxHashesPerBatch=" + maxHashesPerBatch
                + ", accessToken=" + (accessToken.isPresent() ? "(set)" : "(not set: open instance)")
                + ", maxBatchesPerHourPerClient=" + maxBatchesPerHourPerClient
                + ", maxNewHashesPerDayPerClient=" + maxNewHashesPerDayPerClient
                + ", batchRetentionDays=" + (batchRetentionDays == 0 ? "0 (keep forever)" : batchRetentionDays)
                + ", sqliteJournalMode=" + sqliteJournalMode
                + ", vtRequestsPerHour=" + (vtRequestsPerHour == 0 ? "0 (no limit of its own)" : vtRequestsPerHour)
                + ", vtRequestsPerMonth=" + (vtRequestsPerMonth == 0 ? "0 (no limit of its own)" : vtRequestsPerMonth)
                + ", vtProxy=" + vtProxy.map(p -> p.variable() + " " + p + (p.hasCredentials() ? " (with credentials)" : ""))
                        .orElse("(none from the environment)")
                + ", maliciousMinEngines=" + maliciousMinEngines + ", myEngines=" + myEngines
                + ", webhookUrl=" + webhookUrl.map(u -> u.getScheme() + "://" + u.getHost() + "/(hidden)").orElse("(none)")
                + ", publicBaseUrl=" + publicBaseUrl.map(Object::toString).orElse("(none)")
                + ", changeMinDelta=" + changeMinDelta + "]";
    }

    static String withoutPassword(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + (uri.getPath() == null ? "" : uri.getPath());
    }

    /** A JDBC URL without its query string, where a password may be given. */
    static String withoutCredentials(String jdbcUrl) {
        int query = jdbcUrl.indexOf('?');
        String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
        int at = base.indexOf('@');
        int slashes = base.indexOf("//");
        return at < 0 ? base : slashes < 0 || slashes > at ? "(hidden)" : base.substring(0, slashes + 2) + base.substring(at + 1);
    }

    /** Thrown when one or more settings are invalid; the message names each of them. */
    public static final class InvalidConfigException extends IllegalArgumentException {
        private final List<String> problems;

        InvalidConfigException(List<String> problems) {
            super("Invalid configuration: " + String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    private static final class Reader {
        private final Function<String, String> source;
        private final List<String> errors = new ArrayList<>();

        Reader(Function<String, String> source) {
            this.source = source;
        }

        String raw(String name) {
            return source.apply(name);
        }

        String value(String name) {
            String value = source.apply(name);
            return value == null || value.isBlank() ? null : value.trim();
        }

        int integer(String name, int defaultValue, int min, int max) {
            String value = value(name);
            if (value == null) {
                return defaultValue;
            }
            try {
                int parsed = Integer.parseInt(value);
                if (parsed < min || parsed > max) {
                    errors.add(name + " must be between " + min + " and " + max + ", got " + parsed);
                    return defaultValue;
                }
                return parsed;
            } catch (NumberFormatException e) {
                errors.add(name + " must be a whole number, got '" + value + "'");
                return defaultValue;
            }
        }

        URI httpUrl(String name, String defaultValue) {
            String value = value(name);
            String text = value == null ? defaultValue : value;
            try {
                URI uri = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    errors.add(name + " must be an http(s) URL with a host, got '" + text + "'");
                }
                return uri;
            } catch (URISyntaxException e) {
                errors.add(name + " is not a valid URL: '" + text + "'");
                return URI.create(defaultValue);
            }
        }

        /** An optional http(s) URL with a host; a malformed one is an error naming the setting. */
        Optional<URI> optionalHttpUrl(String name) {
            String value = value(name);
            if (value == null) {
                return Optional.empty();
            }
            try {
                URI uri = new URI(value);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                        || uri.getHost().isEmpty()) {
                    errors.add(name + " must be an http(s) URL with a host, such as https://hooks.example.com/...");
                    return Optional.empty();
                }
                return Optional.of(uri);
            } catch (URISyntaxException e) {
                errors.add(name + " is not a valid URL (expected http(s)://host/...)");
                return Optional.empty();
            }
        }

        Optional<URI> redisUrl(String name) {
            String value = value(name);
            if (value == null) {
                return Optional.empty();
            }
            try {
                URI uri = new URI(value);
                if (!("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) || uri.getHost() == null) {
                    errors.add(name + " must look like redis://host:port or rediss://host:port");
                    return Optional.empty();
                }
                return Optional.of(uri);
            } catch (URISyntaxException e) {
                errors.add(name + " is not a valid URL (expected redis://host:port)");
                return Optional.empty();
            }
        }

        String jdbcUrl(String name, String defaultValue) {
            String value = value(name);
            if (value == null) {
                return defaultValue;
            }
            boolean postgres = value.startsWith(POSTGRES_PREFIX) && value.length() > POSTGRES_PREFIX.length()
                    && !value.substring(POSTGRES_PREFIX.length()).startsWith("/");
            boolean sqlite = value.startsWith(SQLITE_PREFIX) && value.length() > SQLITE_PREFIX.length();
            if (!postgres && !sqlite) {
                errors.add(name + " must be jdbc:postgresql://host[:port]/database or jdbc:sqlite:<file>, got '"
                        + withoutCredentials(value) + "'");
                return defaultValue;
            }
            return value;
        }

        SqliteJournalMode journalMode(String name, SqliteJournalMode defaultValue) {
            String value = value(name);
            if (value == null) {
                return defaultValue;
            }
            for (SqliteJournalMode mode : SqliteJournalMode.values()) {
                if (mode.name().equalsIgnoreCase(value)) {
                    return mode;
                }
            }
            errors.add(name + " must be one of " + Arrays.toString(SqliteJournalMode.values())
                    + ", got '" + value + "'");
            return defaultValue;
        }

        /** The proxy the environment names for requests to {@code target}; a malformed one is an error naming its variable. */
        Optional<HttpProxy> proxy(URI target) {
            try {
                return HttpProxy.forTarget(target, source);
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
                return Optional.empty();
            }
        }

        Path path(String name, Path defaultValue) {
            String value = value(name);
            try {
                return value == null ? defaultValue : Path.of(value);
            } catch (RuntimeException e) {
                errors.add(name + " is not a valid path: '" + value + "'");
                return defaultValue;
            }
        }
    }
}
