package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchRepositoryAccess;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.batch.UploadReader;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.MutableClock;
import com.vtbatchsearch.testing.RealAnswers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every export format on a batch of VirusTotal's real answers, uploaded as md5s, sha1s and sha256s (one file
 * under all three), with a hash VirusTotal does not know, one still pending and one that failed: block lists
 * hold exactly the right hashes, each file once; the MISP event and the STIX bundle validate against their
 * published schemas; and the exports hold the rows the page shows under three combinations of filters. Both
 * engines; rows read 2 and looked at 3 at a time, so every walk crosses many chunk boundaries.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class ExportFormatsTest {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final String UNKNOWN = "0123456789abcdef0123456789abcdef";
    private static final String PENDING = "ab".repeat(32);
    private static final String FAILED = "cd".repeat(20);
    /** A line of the upload that is hostile wherever it lands: quotes, markup, a formula. */
    private static final String HOSTILE = "=HYPERLINK(\"http://x\") <script>alert('x')</script> \"quoted\" \\ md5";

    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private LookupRepository lookups;
    private BatchService service;
    private BatchRepository repository;
    private Exports exports;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    private final Map<String, FileReport> answers = new LinkedHashMap<>();
    private String batchId;

    @BeforeEach
    void batchOfRealAnswers() throws Exception {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        lookups = new LookupRepository(database);
        repository = BatchRepositoryAccess.withChunk(database, new Freshness(Duration.ofDays(3650),
                Duration.ofDays(3650)), 2);
        service = new BatchService(repository, new EmbeddedLookupQueue(), null, clock);
        exports = new Exports(service, RealAnswers.JSON.getFactory(), clock, 3);
        for (String name : new String[] {"file-eicar-2026.json", "file-malicious-doc-w97m-hill.json",
            "file-malicious-pe-msil-tasker.data-only.json", "file-malicious-rtf-cve-2017-11882.json",
            "file-lowdetect-dotnet-exe-label-trojan-dot.json", "file-clean-win32exe-aclock.json",
            "file-clean-doscom-virusshare.json", "file-clean-elf-haiku.json",
            "file-clean-empty-file-ui-endpoint-2018.json", "file-clean-macho-doom.json",
            "file-partial-xsoar-context-2021-eicar-variant.json"}) {
            answers.put(name.replaceFirst("^file-", "").replaceFirst("\\.json$", ""), RealAnswers.report(name));
        }
        FileReport eicar = answer("eicar-2026");
        StringBuilder upload = new StringBuilder()
                .append(eicar.md5()).append(";").append(HOSTILE).append('\n')
                .append("sha256 of the same: ").append(eicar.sha256().toUpperCase()).append('\n')
                .append(eicar.sha1()).append(";third hash of the EICAR file\n")
                .append(answer("malicious-doc-w97m-hill").md5()).append(";Word macro virus\n")
                .append(answer("malicious-pe-msil-tasker.data-only").sha1()).append(";tasker\n")
                .append(answer("malicious-rtf-cve-2017-11882").sha256()).append(";exploit document\n")
                .append(answer("malicious-rtf-cve-2017-11882").md5()).append(";exploit document by md5\n")
                .append(answer("lowdetect-dotnet-exe-label-trojan-dot").sha256()).append(";low detections\n")
                .append(UNKNOWN).append(";VirusTotal never saw it\n")
                .append(answer("clean-win32exe-aclock").sha256()).append(";clock\n")
                .append(answer("clean-doscom-virusshare").md5()).append(";com\n")
                .append(PENDING).append(";still pending\n")
                .append(answer("clean-elf-haiku").sha256()).append('\n')
                .append(answer("clean-empty-file-ui-endpoint-2018").md5()).append(";empty file by md5\n")
                .append(FAILED).append(";failed\n")
                .append(answer("clean-macho-doom").sha1()).append('\n')
                .append(answer("partial-xsoar-context-2021-eicar-variant").sha256()).append(";variant\n");
        UploadReader reader = new UploadReader(1 << 20, 1000);
        reader.read(new ByteArrayInputStream(upload.toString().getBytes(StandardCharsets.UTF_8)));
        batchId = service.submit(reader.finish()).id();
        // Answered as the worker answers: under the hash asked for; the file's other hashes follow.
        Set<String> uploaded = new HashSet<>(reader.finish().hashes());
        for (FileReport report : answers.values()) {
            String asked = uploaded.contains(report.sha256()) ? report.sha256()
                    : uploaded.contains(report.md5()) ? report.md5() : report.sha1();
            lookups.saveFound(asked, report, clock.instant());
        }
        lookups.saveNotFound(UNKNOWN, clock.instant());
        lookups.recordFailure(FAILED, "HTTP 503", true, clock.instant());
    }

    @AfterEach
    void close() {
        database.close();
    }

    private FileReport answer(String key) {
        return answers.get(key);
    }

    private String export(ExportFormat format, Map<String, String> parameters, boolean comments) throws Exception {
        Map<String, String[]> map = new HashMap<>();
        parameters.forEach((k, v) -> map.put(k, new String[] {v}));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(exports.write(batchId, format, ItemQuery.fromParameters(map, false), ExportFilter.from(map),
                comments, out));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Every file VirusTotal knows, once, in upload order of its first row. */
    private List<FileReport> knownInUploadOrder() {
        return List.of(answer("eicar-2026"), answer("malicious-doc-w97m-hill"),
                answer("malicious-pe-msil-tasker.data-only"), answer("malicious-rtf-cve-2017-11882"),
                answer("lowdetect-dotnet-exe-label-trojan-dot"), answer("clean-win32exe-aclock"),
                answer("clean-doscom-virusshare"), answer("clean-elf-haiku"),
                answer("clean-empty-file-ui-endpoint-2018"), answer("clean-macho-doom"),
                answer("partial-xsoar-context-2021-eicar-variant"));
    }

    @Test
    void blockListsHoldEachKnownFileOnceAsTheHashAskedFor() throws Exception {
        List<FileReport> known = knownInUploadOrder();
        assertEquals(known.stream().map(FileReport::sha256).toList(), lines(export(ExportFormat.SHA256, Map.of(), false)));
        assertEquals(known.stream().map(FileReport::md5).toList(), lines(export(ExportFormat.MD5, Map.of(), false)));
        assertEquals(known.stream().map(FileReport::sha1).toList(), lines(export(ExportFormat.SHA1, Map.of(), false)));
        for (String line : lines(export(ExportFormat.SHA256, Map.of(), false))) {
            assertTrue(SHA256.matcher(line).matches(), line);
        }
    }

    @Test
    void commentsCountTheRowsLeftOutAndStayCommentLines() throws Exception {
        String list = export(ExportFormat.SHA256, Map.of("q", "\n=cmd|' /C calc'!A0\r\n"), true);
        for (String line : list.split("\n", -1)) {
            assertTrue(line.isEmpty() || line.startsWith("# ") || SHA256.matcher(line).matches(), line);
        }
        String all = export(ExportFormat.SHA256, Map.of(), true);
        List<String> comments = all.lines().filter(l -> l.startsWith("#")).toList();
        assertEquals(4, comments.size(), all);
        assertTrue(comments.get(2).contains("17 rows match; 3 left out without an answer from VirusTotal"
                + " (1 pending, 1 not on VirusTotal, 1 failed)"), comments.get(2));
        assertTrue(comments.get(3).contains("11 files listed; 3 rows held another hash of a file listed"),
                comments.get(3));
        assertEquals(lines(export(ExportFormat.SHA256, Map.of(), false)), lines(all));
        assertFalse(export(ExportFormat.SHA256, Map.of(), false).contains("#"));
    }

    @Test
    void mispEventValidatesAndHoldsOneFileObjectPerKnownFile() throws Exception {
        String document = export(ExportFormat.MISP, Map.of(), false);
        assertEquals(List.of(), SchemaValidation.misp(document));
        JsonNode event = RealAnswers.JSON.readTree(document).path("Event");
        assertTrue(event.path("info").asText().contains(batchId.substring(0, 8)), event.path("info").asText());
        JsonNode objects = event.path("Object");
        List<FileReport> known = knownInUploadOrder();
        assertEquals(known.size(), objects.size());
        for (int n = 0; n < known.size(); n++) {
            FileReport file = known.get(n);
            JsonNode object = objects.get(n);
            assertEquals("file", object.path("name").asText());
            assertEquals(MispEventWriter.FILE_TEMPLATE_UUID, object.path("template_uuid").asText());
            Map<String, JsonNode> byRelation = new HashMap<>();
            object.path("Attribute").forEach(a -> byRelation.put(a.path("object_relation").asText(), a));
            assertEquals(file.md5(), byRelation.get("md5").path("value").asText());
            assertEquals(file.sha1(), byRelation.get("sha1").path("value").asText());
            assertEquals(file.sha256(), byRelation.get("sha256").path("value").asText());
            for (String hash : List.of("md5", "sha1", "sha256")) {
                JsonNode attribute = byRelation.get(hash);
                assertEquals(hash, attribute.path("type").asText());
                assertEquals(file.malicious() > 0, attribute.path("to_ids").asBoolean(), file.sha256() + " " + hash);
                assertTrue(attribute.path("comment").asText().contains(" of "), attribute.toString());
            }
        }
        // The family and label as tags; the hostile line as text, exactly as uploaded, in the object's comment.
        JsonNode eicar = objects.get(0);
        List<String> tags = new ArrayList<>();
        eicar.path("Attribute").get(0).path("Tag").forEach(t -> tags.add(t.path("name").asText()));
        assertTrue(tags.contains("virustotal:family=\"eicar\""), tags.toString());
        assertTrue(tags.contains("virustotal:label=\"virus.eicar/test\""), tags.toString());
        assertTrue(tags.contains("virustotal:verdict=\"malicious\""), tags.toString());
        String comment = eicar.path("comment").asText();
        assertTrue(comment.startsWith("malicious: 62 of "), comment);
        assertTrue(comment.contains(HOSTILE.replace("md5", "").strip()), comment);
        assertTrue(comment.contains("third hash of the EICAR file"), comment);
        assertFalse(document.contains("<script>alert('x')</script> \\\"quoted\\\" \\ "), "backslash escaped");
        // The rows left out are counted in the event's last attribute.
        String summary = event.path("Attribute").get(0).path("value").asText();
        assertTrue(summary.contains("17 rows match, 11 files VirusTotal knows; 3 rows without an answer"), summary);
        // Same report, same filter: the same ids.
        assertEquals(document.replaceAll("\"timestamp\":\"\\d+\"", ""), export(ExportFormat.MISP, Map.of(), false)
                .replaceAll("\"timestamp\":\"\\d+\"", ""));
    }

    @Test
    void stixBundleValidatesWithAnIndicatorPerMaliciousFileAndDeterministicIds() throws Exception {
        String document = export(ExportFormat.STIX, Map.of(), false);
        assertEquals(List.of(), SchemaValidation.stix(document));
        JsonNode objects = RealAnswers.JSON.readTree(document).path("objects");
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        List<JsonNode> indicators = new ArrayList<>();
        List<JsonNode> relationships = new ArrayList<>();
        Set<String> families = new LinkedHashSet<>();
        for (JsonNode object : objects) {
            assertTrue(byId.put(object.path("id").asText(), object) == null, "one object per id");
            assertEquals('5', object.path("id").asText().split("--")[1].charAt(14), "UUIDv5");
            assertTrue(object.path("modified").asText().compareTo(object.path("created").asText()) >= 0);
            switch (object.path("type").asText()) {
                case "indicator" -> indicators.add(object);
                case "relationship" -> relationships.add(object);
                case "malware" -> families.add(object.path("name").asText());
                default -> assertEquals("identity", object.path("type").asText());
            }
            if (!object.path("type").asText().equals("identity")) {
                assertEquals(StixBundleWriter.IDENTITY_ID, object.path("created_by_ref").asText());
            }
        }
        assertTrue(byId.containsKey(StixBundleWriter.IDENTITY_ID));
        List<FileReport> malicious = knownInUploadOrder().stream().filter(f -> f.malicious() > 0).toList();
        assertEquals(malicious.size(), indicators.size());
        for (int n = 0; n < malicious.size(); n++) {
            FileReport file = malicious.get(n);
            JsonNode indicator = indicators.get(n);
            assertEquals(StixBundleWriter.indicatorId(file.sha256()), indicator.path("id").asText());
            assertEquals("[file:hashes.'SHA-256' = '" + file.sha256() + "' OR file:hashes.MD5 = '" + file.md5()
                    + "' OR file:hashes.'SHA-1' = '" + file.sha1() + "']", indicator.path("pattern").asText());
            assertEquals("stix", indicator.path("pattern_type").asText());
            assertEquals("malicious-activity", indicator.path("indicator_types").get(0).asText());
            assertEquals("malicious", indicator.path("labels").get(0).asText());
            assertNotNull(indicator.get("valid_from"));
        }
        // Both EICAR files point at one eicar family; every relationship joins objects of the bundle.
        assertTrue(families.contains("eicar"), families.toString());
        assertEquals(families.size(), new HashSet<>(families).size());
        for (JsonNode r : relationships) {
            assertEquals("indicates", r.path("relationship_type").asText());
            assertEquals("indicator", byId.get(r.path("source_ref").asText()).path("type").asText());
            assertEquals("malware", byId.get(r.path("target_ref").asText()).path("type").asText());
        }
        assertEquals(2, relationships.stream().filter(r -> r.path("target_ref").asText()
                .equals(StixBundleWriter.malwareId("eicar"))).count());
        assertEquals(document, export(ExportFormat.STIX, Map.of(), false), "a re-export is the same bundle");
    }

    /** Three combinations of the page's filters: every export holds exactly the files of the page's rows. */
    @Test
    void exportsHoldTheRowsThePageShowsUnderItsFilters() throws Exception {
        List<Map<String, String>> combinations = List.of(
                Map.of("verdict", "malicious", "sort", "detections", "dir", "desc"),
                Map.of("q", "md5"),
                Map.of("verdict", "clean", "sort", "name", "dir", "desc"));
        for (Map<String, String> filters : combinations) {
            Map<String, String[]> map = new HashMap<>();
            filters.forEach((k, v) -> map.put(k, new String[] {v}));
            // The page, as the report shows it: its rows in its order, each file at its first row in upload order.
            List<BatchItem> page = service.report(batchId, ItemQuery.fromParameters(map, true)).orElseThrow().getItems();
            Map<String, String> firstRow = new HashMap<>();
            Map<String, String[]> byPosition = new HashMap<>(map);
            byPosition.remove("sort");
            byPosition.remove("dir");
            for (BatchItem item : repository.items(batchId, ItemQuery.fromParameters(byPosition, false))) {
                if (BatchItem.DONE.equals(item.getStatus())) {
                    firstRow.putIfAbsent(item.getSha256(), item.getHash());
                }
            }
            List<String> expected = page.stream().filter(i -> i.getHash().equals(firstRow.get(i.getSha256())))
                    .map(BatchItem::getSha256).toList();
            assertFalse(expected.isEmpty(), filters.toString());
            assertEquals(expected, lines(export(ExportFormat.SHA256, filters, false)), filters.toString());

            List<String> inMisp = new ArrayList<>();
            RealAnswers.JSON.readTree(export(ExportFormat.MISP, filters, false)).path("Event").path("Object")
                    .forEach(o -> o.path("Attribute").forEach(a -> {
                        if (a.path("object_relation").asText().equals("sha256")) {
                            inMisp.add(a.path("value").asText());
                        }
                    }));
            assertEquals(expected, inMisp, filters.toString());

            Set<String> flagged = new HashSet<>();
            page.stream().filter(i -> i.getMalicious() != null && (i.getMalicious() > 0 || i.getSuspicious() > 0))
                    .forEach(i -> flagged.add(i.getSha256()));
            List<String> inStix = new ArrayList<>();
            RealAnswers.JSON.readTree(export(ExportFormat.STIX, filters, false)).path("objects").forEach(o -> {
                if (o.path("type").asText().equals("indicator")) {
                    inStix.add(o.path("external_references").get(0).path("external_id").asText());
                }
            });
            assertEquals(expected.stream().filter(flagged::contains).toList(), inStix, filters.toString());
        }
        // The search matched only the EICAR file's md5 row: the file is listed once, through that row.
        assertTrue(lines(export(ExportFormat.SHA256, Map.of("q", "md5"), false)).contains(answer("eicar-2026").sha256()));
    }

    /** Reading fails part-way (the answers' table goes away after the first bytes): the document stays unfinished. */
    @Test
    void aFailurePartWayLeavesTheDocumentUnfinished() throws Exception {
        for (ExportFormat format : List.of(ExportFormat.MISP, ExportFormat.STIX)) {
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            boolean[] broken = {false};
            java.io.OutputStream failing = new java.io.FilterOutputStream(written) {
                @Override
                public void write(byte[] b, int off, int len) throws java.io.IOException {
                    out.write(b, off, len);
                    if (!broken[0]) {
                        broken[0] = true;
                        try {
                            rename("files", "files_gone");
                        } catch (java.sql.SQLException e) {
                            throw new java.io.IOException(e);
                        }
                    }
                }
            };
            org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> exports.write(batchId, format,
                    ItemQuery.ALL, ExportFilter.from(Map.of()), false, failing), format.key());
            rename("files_gone", "files");
            String partial = written.toString(StandardCharsets.UTF_8);
            assertTrue(broken[0], format + " wrote nothing before the end");
            assertFalse(partial.strip().endsWith("]}}") || partial.strip().endsWith("]}"), partial);
            org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> RealAnswers.JSON.readTree(partial));
        }
    }

    private void rename(String from, String to) throws java.sql.SQLException {
        try (java.sql.Connection c = database.connection(); java.sql.Statement s = c.createStatement()) {
            s.execute("ALTER TABLE " + from + " RENAME TO " + to);
        }
    }

    private static List<String> lines(String text) {
        return text.lines().filter(l -> !l.startsWith("#") && !l.isEmpty()).toList();
    }
}
