package com.vtbatchsearch.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.AppConfig.InvalidConfigException;
import com.vtbatchsearch.store.SqliteJournalMode;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AppConfigTest {
    private static final String KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static InvalidConfigException invalid(Map<String, String> settings) {
        return assertThrows(InvalidConfigException.class, () -> AppConfig.from(settings));
    }

    @Test
    void defaultsApplyWhenNothingIsSet() {
        AppConfig config = AppConfig.from(Map.of());

        assertEquals(Optional.empty(), config.vtApiKey());
        assertEquals(URI.create("https://www.virustotal.com/api/v3"), config.vtBaseUrl());
        assertEquals(4, config.vtRequestsPerMinute());
        assertEquals(500, config.vtRequestsPerDay());
        assertEquals(30, config.vtTimeoutSeconds());
        assertEquals(4, config.vtMaxAttempts());
        assertEquals(5_000, config.vtRetryBaseMillis());
        assertEquals(2, config.vtWorkers());
        assertEquals(7, config.cacheTtlDays());
        assertEquals(24, config.notFoundTtlHours());
        assertEquals(Optional.empty(), config.redisUrl());
        assertEquals(Path.of(System.getProperty("user.home"), ".vt-batch-search"), config.dataDir());
        assertEquals(10, config.maxUploadMb());
        assertEquals(10L * 1024 * 1024, config.maxUploadBytes());
        assertEquals(100_000, config.maxHashesPerBatch());
    }

    @Test
    void blankValuesCountAsUnset() {
        AppConfig config = AppConfig.from(Map.of("VT_API_KEY", "  ", "VT_REQUESTS_PER_MINUTE", "", "REDIS_URL", " "));

        assertEquals(Optional.empty(), config.vtApiKey());
        assertEquals(4, config.vtRequestsPerMinute());
        assertEquals(Optional.empty(), config.redisUrl());
    }

    @Test
    void everySettingIsRead() {
        AppConfig config = AppConfig.from(Map.ofEntries(
                Map.entry("VT_API_KEY", " " + KEY + " "),
                Map.entry("VT_BASE_URL", "http://127.0.0.1:9999/api/v3/"),
                Map.entry("VT_REQUESTS_PER_MINUTE", "1000"),
                Map.entry("VT_REQUESTS_PER_DAY", "20000"),
                Map.entry("VT_TIMEOUT_SECONDS", "5"),
                Map.entry("VT_MAX_ATTEMPTS", "2"),
                Map.entry("VT_RETRY_BASE_MS", "250"),
                Map.entry("VT_WORKERS", "5"),
                Map.entry("CACHE_TTL_DAYS", "30"),
                Map.entry("NOT_FOUND_TTL_HOURS", "6"),
                Map.entry("REDIS_URL", "redis://queue.internal:6380/2"),
                Map.entry("DATA_DIR", "/var/lib/vt"),
                Map.entry("MAX_UPLOAD_MB", "50"),
                Map.entry("MAX_HASHES_PER_BATCH", "500")));

        assertEquals(Optional.of(KEY), config.vtApiKey());
        assertEquals(URI.create("http://127.0.0.1:9999/api/v3"), config.vtBaseUrl(), "trailing slash dropped");
        assertEquals(1_000, config.vtRequestsPerMinute());
        assertEquals(20_000, config.vtRequestsPerDay());
        assertEquals(5, config.vtTimeoutSeconds());
        assertEquals(2, config.vtMaxAttempts());
        assertEquals(250, config.vtRetryBaseMillis());
        assertEquals(5, config.vtWorkers());
        assertEquals(30, config.cacheTtlDays());
        assertEquals(6, config.notFoundTtlHours());
        assertEquals(Optional.of(URI.create("redis://queue.internal:6380/2")), config.redisUrl());
        assertEquals(Path.of("/var/lib/vt"), config.dataDir());
        assertEquals(50L * 1024 * 1024, config.maxUploadBytes());
        assertEquals(500, config.maxHashesPerBatch());
    }

    @ParameterizedTest
    @ValueSource(strings = {"VT_REQUESTS_PER_MINUTE", "VT_REQUESTS_PER_DAY", "VT_TIMEOUT_SECONDS", "VT_MAX_ATTEMPTS",
        "VT_RETRY_BASE_MS", "VT_WORKERS", "CACHE_TTL_DAYS", "NOT_FOUND_TTL_HOURS", "MAX_UPLOAD_MB",
        "MAX_HASHES_PER_BATCH"})
    void aNonNumberIsRejectedNamingTheSetting(String name) {
        InvalidConfigException e = invalid(Map.of(name, "four"));

        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains("four"), e.getMessage());
        assertEquals(1, e.problems().size());
    }

    @ParameterizedTest
    @CsvSource({
        "VT_REQUESTS_PER_MINUTE, 0",
        "VT_REQUESTS_PER_MINUTE, -1",
        "VT_REQUESTS_PER_DAY, 0",
        "VT_TIMEOUT_SECONDS, 0",
        "VT_TIMEOUT_SECONDS, 601",
        "VT_MAX_ATTEMPTS, 0",
        "VT_MAX_ATTEMPTS, 101",
        "VT_RETRY_BASE_MS, 0",
        "VT_WORKERS, 0",
        "VT_WORKERS, 17",
        "CACHE_TTL_DAYS, 0",
        "CACHE_TTL_DAYS, 3651",
        "NOT_FOUND_TTL_HOURS, 0",
        "NOT_FOUND_TTL_HOURS, 87601",
        "MAX_UPLOAD_MB, 0",
        "MAX_UPLOAD_MB, 2048",
        "MAX_HASHES_PER_BATCH, 0",
        "MAX_HASHES_PER_BATCH, 10000001",
    })
    void aNumberOutOfRangeIsRejectedNamingTheSetting(String name, String value) {
        InvalidConfigException e = invalid(Map.of(name, value));

        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains("between"), e.getMessage());
    }

    @Test
    void aNumberTooBigForAnIntIsRejectedNotWrapped() {
        InvalidConfigException e = invalid(Map.of("VT_REQUESTS_PER_DAY", "99999999999"));

        assertTrue(e.getMessage().contains("VT_REQUESTS_PER_DAY"), e.getMessage());
    }

    @Test
    void boundaryValuesAreAccepted() {
        AppConfig config = AppConfig.from(Map.of("VT_TIMEOUT_SECONDS", "600", "VT_MAX_ATTEMPTS", "1",
                "MAX_UPLOAD_MB", "2047", "VT_WORKERS", "16", "CACHE_TTL_DAYS", "3650", "NOT_FOUND_TTL_HOURS", "1"));

        assertEquals(16, config.vtWorkers());
        assertEquals(3650, config.cacheTtlDays());
        assertEquals(1, config.notFoundTtlHours());
        assertEquals(600, config.vtTimeoutSeconds());
        assertEquals(1, config.vtMaxAttempts());
        assertEquals(2047L * 1024 * 1024, config.maxUploadBytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"www.virustotal.com/api/v3", "ftp://www.virustotal.com/api/v3", "http://", "https:///api/v3",
        "http://bad host/api", "not a url"})
    void aBadBaseUrlIsRejectedNamingTheSetting(String url) {
        InvalidConfigException e = invalid(Map.of("VT_BASE_URL", url));

        assertTrue(e.getMessage().contains("VT_BASE_URL"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:6379", "http://x", "https://redis.example:6379", "redis:///0", "redis://bad host",
        "127.0.0.1"})
    void aBadRedisUrlIsRejectedNamingTheSetting(String url) {
        InvalidConfigException e = invalid(Map.of("REDIS_URL", url));

        assertTrue(e.getMessage().contains("REDIS_URL"), e.getMessage());
    }

    @Test
    void aRedissUrlIsAccepted() {
        AppConfig config = AppConfig.from(Map.of("REDIS_URL", "rediss://cache.example.com:6380"));

        assertEquals(Optional.of(URI.create("rediss://cache.example.com:6380")), config.redisUrl());
    }

    @Test
    void aBadRedisUrlWithAPasswordDoesNotPrintThePassword() {
        InvalidConfigException e = invalid(Map.of("REDIS_URL", "http://:hunter2@redis:6379"));

        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void everyBadSettingIsReportedAtOnce() {
        InvalidConfigException e = invalid(Map.of(
                "VT_REQUESTS_PER_MINUTE", "lots",
                "VT_TIMEOUT_SECONDS", "0",
                "VT_BASE_URL", "ftp://x",
                "REDIS_URL", "localhost:6379"));

        assertEquals(4, e.problems().size(), e.problems().toString());
        for (String name : new String[] {"VT_REQUESTS_PER_MINUTE", "VT_TIMEOUT_SECONDS", "VT_BASE_URL", "REDIS_URL"}) {
            assertTrue(e.getMessage().contains(name), name + " missing from: " + e.getMessage());
        }
    }

    @Test
    void toStringNeverShowsTheApiKey() {
        AppConfig config = AppConfig.from(Map.of("VT_API_KEY", KEY));

        assertFalse(config.toString().contains(KEY), config.toString());
        assertFalse(config.toString().contains(KEY.substring(0, 16)), config.toString());
        assertTrue(config.toString().contains("vtApiKey=(set)"), config.toString());
    }

    @Test
    void oneWorkerIsAccepted() {
        assertEquals(1, AppConfig.from(Map.of("VT_WORKERS", "1")).vtWorkers());
    }

    @Test
    void toStringNamesTheNewSettings() {
        String text = AppConfig.from(Map.of("VT_WORKERS", "3", "CACHE_TTL_DAYS", "9")).toString();

        assertTrue(text.contains("vtWorkers=3"), text);
        assertTrue(text.contains("cacheTtlDays=9"), text);
        assertTrue(text.contains("notFoundTtlHours=24"), text);
    }

    @Test
    void toStringSaysWhenTheKeyIsMissing() {
        assertTrue(AppConfig.from(Map.of()).toString().contains("vtApiKey=(not set)"));
    }

    @Test
    void toStringNeverShowsTheRedisPassword() {
        AppConfig config = AppConfig.from(Map.of("REDIS_URL", "redis://default:hunter2@redis.internal:6379/0"));

        String text = config.toString();
        assertFalse(text.contains("hunter2"), text);
        assertFalse(text.contains("default:"), text);
        assertTrue(text.contains("redis://redis.internal:6379/0"), text);
    }

    @Test
    void theSourceIsAskedForEachSettingByName() {
        AppConfig config = AppConfig.from(name -> name.equals("VT_MAX_ATTEMPTS") ? "7" : null);

        assertEquals(7, config.vtMaxAttempts());
    }

    // --- database and Azure App Service

    @Test
    void withoutDbUrlTheDatabaseIsTheSqliteFileInTheDataDirectory() {
        AppConfig config = AppConfig.from(Map.of("DATA_DIR", "/var/lib/vtbatch"));

        assertEquals("jdbc:sqlite:" + Path.of("/var/lib/vtbatch", "vt-batch-search.db").toAbsolutePath(),
                config.dbUrl());
        assertFalse(config.usesPostgres());
        assertEquals(Optional.empty(), config.dbUser());
        assertEquals(Optional.empty(), config.dbPassword());
    }

    @Test
    void dbUrlMayNameAPostgresDatabaseWithItsCredentials() {
        AppConfig config = AppConfig.from(Map.of("DB_URL", "jdbc:postgresql://db.internal:5432/vtbatch?sslmode=require",
                "DB_USER", "vtbatch", "DB_PASSWORD", "s3cret-pw"));

        assertEquals("jdbc:postgresql://db.internal:5432/vtbatch?sslmode=require", config.dbUrl());
        assertTrue(config.usesPostgres());
        assertEquals(Optional.of("vtbatch"), config.dbUser());
        assertEquals(Optional.of("s3cret-pw"), config.dbPassword());
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres://db:5432/vtbatch", "jdbc:mysql://db/vtbatch", "jdbc:postgresql:///x",
            "jdbc:sqlite:", "db.internal:5432"})
    void aMalformedDbUrlStopsTheStartNamingTheSetting(String url) {
        InvalidConfigException e = invalid(Map.of("DB_URL", url));

        assertTrue(e.getMessage().contains("DB_URL"), e.getMessage());
        assertEquals(1, e.problems().size(), e.problems().toString());
    }

    @Test
    void aMalformedRedisUrlStopsTheStartNamingTheSetting() {
        InvalidConfigException e = invalid(Map.of("REDIS_URL", "localhost:6379"));

        assertTrue(e.getMessage().contains("REDIS_URL"), e.getMessage());
    }

    @Test
    void redissUrlsForTlsAreAccepted() {
        AppConfig config = AppConfig.from(Map.of("REDIS_URL", "rediss://:accesskey@vtbatch.redis.cache.windows.net:6380"));

        assertEquals("rediss", config.redisUrl().orElseThrow().getScheme());
        assertFalse(config.toString().contains("accesskey"), config.toString());
    }

    @Test
    void toStringNeverShowsTheDatabasePassword() {
        String text = AppConfig.from(Map.of("DB_URL", "jdbc:postgresql://db:5432/vtbatch?user=vt&password=pw-in-url",
                "DB_PASSWORD", "pw-in-setting")).toString();

        assertFalse(text.contains("pw-in-url"), text);
        assertFalse(text.contains("pw-in-setting"), text);
        assertTrue(text.contains("dbUrl=jdbc:postgresql://db:5432/vtbatch"), text);
        assertTrue(text.contains("dbPassword=(set)"), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID"})
    void onAzureAppServiceTheDataGoesToPersistentStorageUnderHome(String variable) {
        AppConfig config = AppConfig.from(Map.of(variable, "vt-batch-search-prod"));

        assertEquals(Path.of("/home/site/vt-batch-search"), config.dataDir());
        assertEquals("jdbc:sqlite:/home/site/vt-batch-search/vt-batch-search.db", config.dbUrl());
    }

    @Test
    void onAzureAppServiceAnExplicitDataDirStillWins() {
        AppConfig config = AppConfig.from(Map.of("WEBSITE_SITE_NAME", "vt", "DATA_DIR", "/home/data"));

        assertEquals(Path.of("/home/data"), config.dataDir());
    }

    @Test
    void abuseSettingsHaveDefaultsAndAreRead() {
        AppConfig open = AppConfig.from(Map.of());
        assertEquals(Optional.empty(), open.accessToken());
        assertEquals(30, open.maxBatchesPerHourPerClient());
        assertEquals(10_000, open.maxNewHashesPerDayPerClient());

        AppConfig guarded = AppConfig.from(Map.of("ACCESS_TOKEN", " correct-horse-battery ",
                "MAX_BATCHES_PER_HOUR_PER_CLIENT", "5", "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "700"));
        assertEquals(Optional.of("correct-horse-battery"), guarded.accessToken());
        assertEquals(5, guarded.maxBatchesPerHourPerClient());
        assertEquals(700, guarded.maxNewHashesPerDayPerClient());
        assertFalse(guarded.toString().contains("correct-horse-battery"), "the token is never printed");
        assertTrue(guarded.toString().contains("accessToken=(set)"));
    }

    @Test
    void aShortAccessTokenOrAZeroLimitStopsTheStart() {
        InvalidConfigException e = invalid(Map.of("ACCESS_TOKEN", "secret", "MAX_BATCHES_PER_HOUR_PER_CLIENT", "0",
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "many"));
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("ACCESS_TOKEN must be at least 16 characters"));
        assertFalse(e.getMessage().contains("secret"), "not even a bad token is printed");
        assertTrue(e.getMessage().contains("MAX_BATCHES_PER_HOUR_PER_CLIENT must be between 1"));
        assertTrue(e.getMessage().contains("MAX_NEW_HASHES_PER_DAY_PER_CLIENT must be a whole number"));
    }

    @Test
    void batchRetentionDefaultsToKeepingForeverAndIsValidated() {
        assertEquals(0, AppConfig.from(Map.of()).batchRetentionDays());
        AppConfig config = AppConfig.from(Map.of("BATCH_RETENTION_DAYS", "90"));
        assertEquals(90, config.batchRetentionDays());
        assertTrue(config.toString().contains("batchRetentionDays=90"), config.toString());
        InvalidConfigException e = invalid(Map.of("BATCH_RETENTION_DAYS", "-1"));
        assertTrue(e.getMessage().contains("BATCH_RETENTION_DAYS must be between 0"), e.getMessage());
        assertTrue(invalid(Map.of("BATCH_RETENTION_DAYS", "a month")).getMessage().contains("BATCH_RETENTION_DAYS"));
    }

    @Test
    void sqliteRunsInWalModeByDefault() {
        assertEquals(SqliteJournalMode.WAL, AppConfig.from(Map.of()).sqliteJournalMode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID"})
    void onAzureAppServiceSqliteUsesTheRollbackJournalWithAnExclusiveLock(String variable) {
        AppConfig config = AppConfig.from(Map.of(variable, "vt-batch-search-prod"));

        assertEquals(SqliteJournalMode.DELETE, config.sqliteJournalMode());
        assertTrue(config.toString().contains("sqliteJournalMode=DELETE"), config.toString());
    }

    @Test
    void anExplicitJournalModeWinsOnAppServiceAndCaseDoesNotMatter() {
        assertEquals(SqliteJournalMode.WAL,
                AppConfig.from(Map.of("WEBSITE_SITE_NAME", "vt", "SQLITE_JOURNAL_MODE", "wal")).sqliteJournalMode());
        assertEquals(SqliteJournalMode.DELETE,
                AppConfig.from(Map.of("SQLITE_JOURNAL_MODE", " DELETE ")).sqliteJournalMode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TRUNCATE", "MEMORY", "OFF", "wal2", "EXCLUSIVE"})
    void anUnknownJournalModeStopsTheStartNamingTheAllowedValues(String value) {
        InvalidConfigException e = invalid(Map.of("SQLITE_JOURNAL_MODE", value));

        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("SQLITE_JOURNAL_MODE must be one of [WAL, DELETE], got '" + value + "'"),
                e.getMessage());
    }

    @Test
    void theVerdictPolicyHasDefaultsAndIsRead() {
        AppConfig defaults = AppConfig.from(Map.of());
        assertEquals(1, defaults.maliciousMinEngines());
        assertEquals(java.util.List.of(), defaults.myEngines());
        AppConfig set = AppConfig.from(Map.of("MALICIOUS_MIN_ENGINES", "5",
                "MY_ENGINES", " Microsoft, CrowdStrike ,SentinelOne,,ESET-NOD32, microsoft"));
        assertEquals(5, set.maliciousMinEngines());
        assertEquals(java.util.List.of("Microsoft", "CrowdStrike", "SentinelOne", "ESET-NOD32"), set.myEngines());
        assertTrue(set.toString().contains("maliciousMinEngines=5"));
    }

    @Test
    void aBadVerdictPolicyStopsTheStartNamingTheSetting() {
        for (String bad : new String[] {"0", "-1", "abc", "1001"}) {
            InvalidConfigException e = invalid(Map.of("MALICIOUS_MIN_ENGINES", bad));
            assertTrue(e.getMessage().contains("MALICIOUS_MIN_ENGINES"), e.getMessage());
        }
        for (String bad : new String[] {"Microsoft;DROP", "<script>", java.util.stream.IntStream.range(0, 21).mapToObj(n -> "e" + n)
                .collect(java.util.stream.Collectors.joining(","))}) {
            InvalidConfigException e = invalid(Map.of("MY_ENGINES", bad));
            assertTrue(e.getMessage().contains("MY_ENGINES"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hooks.example.com/services/T0/B0/secret", "ftp://hooks.example.com/x", "https://", "http://exa mple.com/"})
    void aMalformedWebhookUrlStopsTheStartNamingIt(String value) {
        InvalidConfigException e = invalid(Map.of("WEBHOOK_URL", value));

        assertTrue(e.getMessage().contains("WEBHOOK_URL"), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), "the webhook's path may be its secret: " + e.getMessage());
        assertEquals(1, e.problems().size());
    }

    @Test
    void webhookPublicBaseUrlAndChangeDeltaAreReadAndTheWebhookPathIsNeverPrinted() {
        AppConfig config = AppConfig.from(Map.of("WEBHOOK_URL", "https://hooks.example.com/services/T0/B0/secret",
                "PUBLIC_BASE_URL", "https://vt.example.com", "CHANGE_MIN_DELTA", "5"));

        assertEquals("https://hooks.example.com/services/T0/B0/secret", config.webhookUrl().orElseThrow().toString());
        assertEquals("https://vt.example.com", config.publicBaseUrl().orElseThrow().toString());
        assertEquals(5, config.changeMinDelta());
        assertFalse(config.toString().contains("secret"), config.toString());
        AppConfig defaults = AppConfig.from(Map.of());
        assertTrue(defaults.webhookUrl().isEmpty());
        assertTrue(defaults.publicBaseUrl().isEmpty());
        assertEquals(3, defaults.changeMinDelta());
        assertTrue(invalid(Map.of("CHANGE_MIN_DELTA", "0")).getMessage().contains("CHANGE_MIN_DELTA"));
        assertTrue(invalid(Map.of("PUBLIC_BASE_URL", "vt.example.com")).getMessage().contains("PUBLIC_BASE_URL"));
    }
}
