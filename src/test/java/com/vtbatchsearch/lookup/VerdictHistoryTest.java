package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.FakeVirusTotal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** An answer that replaces an earlier one keeps the earlier verdict figures, the newest 10 per hash; on each engine. */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class VerdictHistoryTest {
    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private static final String SHA256 = "ab".repeat(32);
    private static final String MD5 = "cd".repeat(16);
    private static final String SHA1 = "ef".repeat(20);

    private Database database;
    private LookupRepository lookups;
    private final Instant start = Instant.parse("2026-12-01T00:00:00Z");

    @BeforeEach
    void open() {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        lookups = new LookupRepository(database);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private FileReport report(int malicious, String label, String family) {
        String json = FakeVirusTotal.fileJson(SHA256, MD5, SHA1, malicious, label, "x.exe");
        if (family != null) {
            json = json.replace("\"popular_threat_classification\": {",
                    "\"popular_threat_classification\": {\"popular_threat_name\": [{\"count\": 5, \"value\": \"" + family
                            + "\"}], ");
        }
        return new FileReport(SHA256, MD5, SHA1, malicious, 1, 70 - malicious - 1, 0, label, "x.exe", "Win32 EXE",
                null, null, null, List.of(), json);
    }

    private void pending(String hash, Instant at) throws Exception {
        try (Connection c = database.connection(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO lookups (hash, status, attempts, updated_at) VALUES (?, 'pending', 0, ?)")) {
            s.setString(1, hash);
            s.setLong(2, at.toEpochMilli());
            s.executeUpdate();
        }
    }

    private void markForRefresh(String hash) throws Exception {
        try (Connection c = database.connection(); PreparedStatement s = c.prepareStatement(
                "UPDATE lookups SET refresh = 1 WHERE hash = ?")) {
            s.setString(1, hash);
            s.executeUpdate();
        }
    }

    @Test
    void eachReplacedAnswerIsKeptForEveryHashOfTheFile() throws Exception {
        pending(MD5, start);
        lookups.saveFound(MD5, report(0, "first", "alpha"), start);
        assertTrue(lookups.history(MD5).isEmpty(), "a first answer replaces nothing");

        Instant second = start.plus(Duration.ofDays(8));
        markForRefresh(MD5);
        lookups.saveFound(MD5, report(12, "second", "beta"), second);
        for (String hash : List.of(MD5, SHA1, SHA256)) {
            List<LookupRepository.EarlierAnswer> history = lookups.history(hash);
            assertEquals(1, history.size(), hash);
            LookupRepository.EarlierAnswer earlier = history.get(0);
            assertEquals("done", earlier.status());
            assertEquals(start, earlier.answeredAt());
            assertEquals(second, earlier.replacedAt());
            assertEquals(0, earlier.malicious());
            assertEquals(1, earlier.suspicious());
            assertEquals("first", earlier.label());
            assertEquals("alpha", earlier.family());
        }
    }

    @Test
    void aNotFoundAnswerIsKeptTooAndOnlyTheNewestTenStay() throws Exception {
        String hash = "12".repeat(16);
        pending(hash, start);
        lookups.saveNotFound(hash, start);
        Instant at = start;
        for (int i = 1; i <= 12; i++) {
            at = at.plus(Duration.ofDays(2));
            markForRefresh(hash);
            lookups.saveNotFound(hash, at);
        }
        List<LookupRepository.EarlierAnswer> history = lookups.history(hash);
        assertEquals(LookupRepository.HISTORY_PER_HASH, history.size());
        assertEquals(at, history.get(0).replacedAt(), "newest first");
        assertEquals(Set.of("not_found"), Set.copyOf(history.stream().map(LookupRepository.EarlierAnswer::status).toList()));
        assertNull(history.get(0).malicious());
        assertEquals(start.plus(Duration.ofDays(4)), history.get(9).answeredAt(), "the oldest two (answered on days 0 and 2) were deleted");

        lookups.saveNotFound(hash, at.plus(Duration.ofDays(1)));
        assertEquals(10, lookups.history(hash).size(), "an answer not being refreshed replaces nothing");
    }
}
