package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.AnswerFields;
import com.vtbatchsearch.lookup.StoredAnswerBackfill;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.RealAnswers;
import com.vtbatchsearch.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The answer fields are stored with the answer and read back in report items (both engines), without
 * reading the stored answer; files stored before they were kept are filled from their stored answer.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class AnswerColumnsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] REAL = {
        "file-clean-doscom-virusshare.json", "file-clean-elf-haiku.json", "file-clean-empty-file-ui-endpoint-2018.json",
        "file-clean-macho-doom.json", "file-clean-win32exe-aclock.json", "file-eicar-2026.json",
        "file-lowdetect-dotnet-exe-label-trojan-dot.json", "file-malicious-doc-w97m-hill.json",
        "file-malicious-pe-msil-tasker.data-only.json", "file-malicious-rtf-cve-2017-11882.json",
        "file-partial-xsoar-context-2021-eicar-variant.json"};

    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private LookupRepository lookups;
    private BatchService service;
    private final MutableClock clock = new MutableClock(Instant.now());

    @BeforeEach
    void open() {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        lookups = new LookupRepository(database);
        service = new BatchService(new BatchRepository(database, new Freshness(Duration.ofDays(7),
                Duration.ofHours(24))), new EmbeddedLookupQueue(), null, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    static String real(String name) throws IOException {
        return RealAnswers.raw(name);
    }

    /** A real answer as the client reads it (see {@link RealAnswers#parse}). */
    static FileReport report(String raw) throws IOException {
        return RealAnswers.parse(raw);
    }

    private String submit(List<String> hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String hash : hashes) {
            distinct.put(hash, HashType.of(hash).orElseThrow());
        }
        return service.submit(new ExtractedHashes(distinct, hashes.size())).id();
    }

    private List<FileReport> storeAll() throws IOException {
        List<FileReport> reports = new ArrayList<>();
        for (String name : REAL) {
            reports.add(report(real(name)));
        }
        for (FileReport r : reports) {
            lookups.saveFound(r.md5(), r, clock.instant());
        }
        return reports;
    }

    private void assertItemsCarryTheirAnswers(String id, List<FileReport> reports) {
        List<BatchItem> items = service.report(id, ItemQuery.ALL).orElseThrow().getItems();
        for (int n = 0; n < reports.size(); n++) {
            FileReport r = reports.get(n);
            BatchItem item = items.get(n);
            AnswerFields f = r.fields();
            String name = REAL[n];
            assertEquals(r.md5(), item.getMd5(), name);
            assertEquals(r.sha1(), item.getSha1(), name);
            assertEquals(r.sha256(), item.getSha256(), name);
            assertEquals(f.size(), item.getSize(), name);
            assertEquals(f.timesSubmitted(), item.getTimesSubmitted(), name);
            assertEquals(f.family(), item.getFamily(), name);
            assertEquals(f.category(), item.getCategory(), name);
            assertEquals(f.signer(), item.getSigner(), name);
            assertEquals(f.signerVerified(), item.getSignerVerified(), name);
            assertEquals(f.yaraRules(), item.getYaraRules(), name);
            assertEquals(f.sigma(), item.getSigma(), name);
            assertEquals(f.sandboxVerdicts(), item.getSandboxVerdicts(), name);
            assertEquals(r.tags(), item.getTags(), name);
            assertEquals(f.firstSeenYear(), item.getFirstSeenYear(), name);
            assertEquals(r.lastAnalysis().toString(), item.getLastAnalysis(), name);
        }
    }

    @Test
    void realAnswersAreReadBackInTheItems() throws Exception {
        List<FileReport> reports = storeAll();
        String id = submit(reports.stream().map(FileReport::md5).toList());
        assertItemsCarryTheirAnswers(id, reports);

        BatchItem eicar = service.report(id, ItemQuery.ALL).orElseThrow().getItems().get(5);
        JsonNode json = JSON.readTree(JSON.writeValueAsString(eicar));
        assertEquals("eicar", json.path("family").asText());
        assertEquals("virus", json.path("category").asText());
        assertEquals(68, json.path("size").asInt());
        assertEquals(3, json.path("yaraRules").size());
        assertEquals(1, json.path("sigma").path("low").asInt());
        assertEquals("Zenbox", json.path("sandboxVerdicts").path(0).path("sandbox").asText());
        assertEquals("EICAR", json.path("sandboxVerdicts").path(0).path("malwareNames").path(0).asText());
        assertTrue(json.path("signer").isNull(), "missing stays null, never \"null\"");
        assertEquals("3395856ce81f2b7382dee72602f798b642f14140", json.path("sha1").asText());
    }

    @Test
    void anUnansweredItemHasOnlyItsOwnHash() throws Exception {
        String sha1 = "ab".repeat(20);
        String id = submit(List.of(sha1));
        BatchItem item = service.report(id, ItemQuery.ALL).orElseThrow().getItems().get(0);
        assertEquals(sha1, item.getSha1());
        assertNull(item.getMd5());
        assertNull(item.getSha256());
        assertNull(item.getSize());
        assertNull(item.getFamily());
        assertNull(item.getYaraRules());
        assertNull(item.getTags());
        JsonNode json = JSON.readTree(JSON.writeValueAsString(item));
        for (String field : List.of("size", "timesSubmitted", "family", "category", "signer", "signerVerified",
                "yaraRules", "sigma", "sandboxVerdicts", "tags")) {
            assertTrue(json.has(field) && json.path(field).isNull(), field);
        }
    }

    @Test
    void filesStoredBeforeTheFieldsWereKeptAreFilledFromTheirStoredAnswer() throws Exception {
        List<FileReport> reports = storeAll();
        String id = submit(reports.stream().map(FileReport::md5).toList());
        // As a database of the release before left them: no fields, no side rows.
        try (Connection c = database.connection(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE files SET file_size = NULL, times_submitted = NULL, threat_family = NULL,"
                    + " threat_category = NULL, signer = NULL, signer_verified = NULL, first_seen_year = NULL,"
                    + " yara_rules = NULL, sigma = NULL, sandbox_verdicts = NULL, flagged_engines = NULL,"
                    + " fields_version = 0");
            s.executeUpdate("DELETE FROM file_yara_rules");
        }
        assertNull(service.report(id, ItemQuery.ALL).orElseThrow().getItems().get(5).getFamily());
        StoredAnswerBackfill filler = StoredAnswerBackfill.answerFields(lookups);
        filler.run();
        assertItemsCarryTheirAnswers(id, reports);
        assertEquals(0, count("SELECT COUNT(*) FROM files WHERE fields_version = 0"));
        assertEquals(3 + 1, count("SELECT COUNT(*) FROM file_yara_rules"));
        assertEquals(5, count("SELECT COUNT(*) FROM files WHERE flagged_engines IS NOT NULL"),
                "the five answers whose engines flag the file");
        assertTrue(count("SELECT COUNT(*) FROM engine_names") >= 74);
    }

    @Test
    void aNewAnswerReplacesTheRulesAndEnginesOfTheOldOne() throws Exception {
        FileReport eicar = report(real("file-eicar-2026.json"));
        lookups.saveFound(eicar.md5(), eicar, clock.instant());
        assertEquals(3, count("SELECT COUNT(*) FROM file_yara_rules"));
        String bare = "{\"data\": {\"id\": \"" + eicar.sha256() + "\", \"attributes\": {}}}";
        lookups.saveFound(eicar.md5(), new FileReport(eicar.sha256(), eicar.md5(), eicar.sha1(), 0, 0, 1, 0, null,
                null, null, null, null, null, List.of(), bare), clock.instant());
        assertEquals(0, count("SELECT COUNT(*) FROM file_yara_rules"));
        assertEquals(0, count("SELECT COUNT(*) FROM files WHERE flagged_engines IS NOT NULL"));
        String id = submit(List.of(eicar.md5()));
        BatchItem item = service.report(id, ItemQuery.ALL).orElseThrow().getItems().get(0);
        assertNull(item.getFamily());
        assertEquals(List.of(), item.getYaraRules());
        assertFalse(item.getTags() == null);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = database.connection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }
}
