package com.vtbatchsearch.app;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
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
        Optional<URI> redisUrl,
        Path dataDir,
        int maxUploadMb,
        int maxHashesPerBatch,
        Optional<String> accessToken,
        int maxBatchesPerHourPerClient,
        int maxNewHashesPerDayPerClient) {

    public static final String DEFAULT_VT_BASE_URL = "https://www.virustotal.com/api/v3";

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
        Optional<URI> redis = reader.redisUrl("REDIS_URL");
        Path dataDir = reader.path("DATA_DIR", Path.of(System.getProperty("user.home"), ".vt-batch-search"));
        int maxUpload = reader.integer("MAX_UPLOAD_MB", 10, 1, 2047);
        int maxHashes = reader.integer("MAX_HASHES_PER_BATCH", 100_000, 1, 10_000_000);
        String token = reader.raw("ACCESS_TOKEN");
        Optional<String> accessToken = token == null || token.isBlank() ? Optional.empty() : Optional.of(token.trim());
        if (accessToken.isPresent() && accessToken.get().length() < 16) {
            reader.errors.add("ACCESS_TOKEN must be at least 16 characters long (or unset for an open instance)");
        }
        int batchesPerHour = reader.integer("MAX_BATCHES_PER_HOUR_PER_CLIENT", 30, 1, 1_000_000_000);
        int newHashesPerDay = reader.integer("MAX_NEW_HASHES_PER_DAY_PER_CLIENT", 10_000, 1, 1_000_000_000);
        if (!reader.errors.isEmpty()) {
            throw new InvalidConfigException(reader.errors);
        }
        return new AppConfig(apiKey, baseUrl, perMinute, perDay, timeout, attempts, retryBase, redis,
                dataDir, maxUpload, maxHashes, accessToken, batchesPerHour, newHashesPerDay);
    }

    /** Never prints the API key or the access token. */
    @Override
    public String toString() {
        return "AppConfig[vtApiKey=" + (vtApiKey.isPresent() ? "(set)" : "(not set)")
                + ", vtBaseUrl=" + vtBaseUrl + ", vtRequestsPerMinute=" + vtRequestsPerMinute
                + ", vtRequestsPerDay=" + vtRequestsPerDay + ", vtTimeoutSeconds=" + vtTimeoutSeconds
                + ", vtMaxAttempts=" + vtMaxAttempts + ", vtRetryBaseMillis=" + vtRetryBaseMillis
                + ", redisUrl=" + redisUrl.map(AppConfig::withoutPassword).orElse("(embedded queue)")
                + ", dataDir=" + dataDir + ", maxUploadMb=" + maxUploadMb
                + ", maxHashesPerBatch=" + maxHashesPerBatch
                + ", accessToken=" + (accessToken.isPresent() ? "(set)" : "(not set: open instance)")
                + ", maxBatchesPerHourPerClient=" + maxBatchesPerHourPerClient
                + ", maxNewHashesPerDayPerClient=" + maxNewHashesPerDayPerClient + "]";
    }

    static String withoutPassword(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + (uri.getPath() == null ? "" : uri.getPath());
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

        private String value(String name) {
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
