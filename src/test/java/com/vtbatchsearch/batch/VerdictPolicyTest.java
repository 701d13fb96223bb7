package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The verdict policy (MALICIOUS_MIN_ENGINES), minDetections, the gap of chosen engines (MY_ENGINES,
 * engines=...) and the facets, on a batch of the eleven real answers: counters, filters, pages and exports
 * agree, on both engines.
 *
 * <p>Detections of the answers: 0 (five clean files), 62 (EICAR), 7 (.NET), 53 (Word macro), 40 (MSIL), 36 (RTF),
 * 7 (the partial EICAR variant). CrowdStrike flags only the MSIL file; Microsoft all but the .NET file and the
 * partial answer, which lists no engines.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class VerdictPolicyTest {
    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private LookupRepository lookups;
    private final MutableClock clock = new MutableClock(Instant.now());
    private final Map<String, FileReport> byFile = new HashMap<>();
    private final List<String> md5s = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        lookups = new LookupRepository(database);
        for (String name : AnswerColumnsTest.REAL) {
            FileReport report = AnswerColumnsTest.report(AnswerColumnsTest.real(name));
            lookups.saveFound(report.md5(), report, clock.instant());
            byFile.put(name, report);
            md5s.add(report.md5());
        }
    }

    @AfterEach
    void close() {
        database.close();
    }

    private BatchService service(int minEngines, String... myEngines) {
        return new BatchService(new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)),
                new VerdictPolicy(minEngines, List.of(myEngines))), new EmbeddedLookupQueue(), null, clock);
    }

    private String submit(BatchService service) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        md5s.forEach(h -> distinct.put(h, HashType.MD5));
        distinct.put("ee".repeat(16), HashType.MD5); // never answered: pending
        return service.submit(new ExtractedHashes(distinct, distinct.size())).id();
    }

    private static ItemQuery query(String... parameters) {
        Map<String, String[]> map = new HashMap<>();
        for (int n = 0; n < parameters.length; n += 2) {
            map.put(parameters[n], new String[] {parameters[n + 1]});
        }
        return ItemQuery.fromParameters(map, false);
    }

    private List<String> md5sOf(BatchService service, String id, ItemQuery query) {
        List<String> page = service.report(id, query).orElseThrow().getItems().stream().map(BatchItem::getMd5).toList();
        List<String> exported = new ArrayList<>();
        service.export(id, query, item -> exported.add(item.getMd5()));
        assertEquals(page, exported, "the export holds what the page holds");
        assertEquals(page.size(), service.report(id, query).orElseThrow().getMatched());
        return page;
    }

    private String md5(String file) {
        return byFile.get(file).md5();
    }

    @Test
    void oneEngineIsEnoughByDefault() {
        BatchService service = service(1);
        String id = submit(service);
        BatchCounts counts = service.report(id, ItemQuery.ALL).orElseThrow().getCounts();
        assertEquals(6, counts.getMalicious());
        assertEquals(0, counts.getSuspicious());
        assertEquals(5, counts.getClean());
        assertEquals(1, counts.getPending());
        assertNull(counts.getGap(), "no engines chosen: no gap");
        assertEquals(6, md5sOf(service, id, query("verdict", "malicious")).size());
    }

    @Test
    void belowTheMinimumAFlaggedFileIsSuspiciousInCountersFiltersSortsAndExports() {
        BatchService service = service(40);
        String id = submit(service);
        BatchCounts counts = service.report(id, ItemQuery.ALL).orElseThrow().getCounts();
        assertEquals(3, counts.getMalicious());
        assertEquals(3, counts.getSuspicious());
        assertEquals(5, counts.getClean());
        assertEquals(List.of(md5("file-eicar-2026.json"), md5("file-malicious-doc-w97m-hill.json"),
                md5("file-malicious-pe-msil-tasker.data-only.json")), md5sOf(service, id, query("verdict", "malicious")));
        assertEquals(List.of(md5("file-lowdetect-dotnet-exe-label-trojan-dot.json"),
                md5("file-malicious-rtf-cve-2017-11882.json"), md5("file-partial-xsoar-context-2021-eicar-variant.json")),
                md5sOf(service, id, query("verdict", "suspicious")));
        List<BatchItem> all = service.report(id, ItemQuery.ALL).orElseThrow().getItems();
        assertEquals("suspicious", all.get(9).getVerdict(), "36 engines < 40");
        assertEquals("malicious", all.get(8).getVerdict(), "40 engines");
        // Sorted by verdict, the three malicious ones come first, then the three suspicious ones.
        List<BatchItem> sorted = service.report(id, query("sort", "verdict")).orElseThrow().getItems();
        assertTrue(sorted.subList(0, 3).stream().allMatch(i -> i.getVerdict().equals("malicious")));
        assertTrue(sorted.subList(3, 6).stream().allMatch(i -> i.getVerdict().equals("suspicious")));
        List<BatchItem> exported = new ArrayList<>();
        service.export(id, ItemQuery.ALL, exported::add);
        assertEquals("suspicious", exported.get(9).getVerdict(), "exports apply the same policy");
    }

    @Test
    void minDetectionsKeepsWhatAtLeastThatManyEnginesFlag() {
        BatchService service = service(1);
        String id = submit(service);
        assertEquals(List.of(md5("file-eicar-2026.json"), md5("file-malicious-doc-w97m-hill.json")),
                md5sOf(service, id, query("minDetections", "50")));
        assertEquals(List.of(md5("file-malicious-doc-w97m-hill.json")),
                md5sOf(service, id, query("minDetections", "50", "q", "hill")), "combines with the text filter");
        assertEquals(List.of(), md5sOf(service, id, query("minDetections", "1000")), "nothing matches: empty");
        assertEquals(11, md5sOf(service, id, query("minDetections", "0")).size(), "0: every answered file");
        for (String bad : new String[] {"abc", "-1", "1001", "2.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> query("minDetections", bad));
            assertTrue(e.getMessage().startsWith("minDetections"), e.getMessage());
        }
    }

    @Test
    void theGapIsWhatCountsAsMaliciousAndNoneOfMyEnginesFlags() {
        BatchService service = service(1, "CrowdStrike", "NoSuchEngine");
        String id = submit(service);
        BatchService.Report report = service.report(id, ItemQuery.ALL).orElseThrow();
        assertEquals(5, report.getCounts().getGap());
        assertEquals(List.of(new BatchService.EngineColumn("CrowdStrike", true),
                new BatchService.EngineColumn("NoSuchEngine", false)), report.getEngines(),
                "an engine no answer names is said to be unknown, not dropped");
        List<String> gap = md5sOf(service, id, query("gap", "true"));
        assertEquals(5, gap.size());
        assertTrue(gap.contains(md5("file-eicar-2026.json")), "CrowdStrike does not flag EICAR");
        assertFalse(gap.contains(md5("file-malicious-pe-msil-tasker.data-only.json")), "CrowdStrike flags it");
        BatchItem eicar = report.getItems().get(5);
        assertEquals(Boolean.TRUE, eicar.getGap());
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("CrowdStrike", null);
        expected.put("NoSuchEngine", null);
        assertEquals(expected, eicar.getEngines());
        assertEquals("win/malicious_confidence_90% (W)", report.getItems().get(8).getEngines().get("CrowdStrike"));
        assertNull(report.getItems().get(11).getGap(), "pending: no gap either way");

        // A report that chooses Microsoft: EICAR is caught; the .NET file and the partial answer are not.
        ItemQuery microsoft = query("engines", "microsoft", "gap", "true");
        assertEquals(List.of(md5("file-lowdetect-dotnet-exe-label-trojan-dot.json"),
                md5("file-partial-xsoar-context-2021-eicar-variant.json")), md5sOf(service, id, microsoft));
        BatchService.Report chosen = service.report(id, query("engines", "microsoft")).orElseThrow();
        assertEquals(2, chosen.getCounts().getGap());
        assertEquals(List.of(new BatchService.EngineColumn("Microsoft", true)), chosen.getEngines());
        assertEquals(Boolean.FALSE, chosen.getItems().get(5).getGap());
        assertEquals("Virus:DOS/EICAR_Test_File", chosen.getItems().get(5).getEngines().get("Microsoft"),
                "keyed as VirusTotal spells the engine");
    }

    @Test
    void withAnEngineThatFlagsEicarAsMyEngineEicarIsNoGap() {
        BatchService service = service(1, "Microsoft");
        String id = submit(service);
        BatchService.Report report = service.report(id, ItemQuery.ALL).orElseThrow();
        assertEquals(2, report.getCounts().getGap());
        assertEquals(Boolean.FALSE, report.getItems().get(5).getGap());
        assertEquals(List.of(md5("file-lowdetect-dotnet-exe-label-trojan-dot.json"),
                md5("file-partial-xsoar-context-2021-eicar-variant.json")), md5sOf(service, id, query("gap", "true")));
        List<BatchItem> exported = new ArrayList<>();
        service.export(id, query("gap", "true"), exported::add);
        assertTrue(exported.stream().allMatch(i -> Boolean.TRUE.equals(i.getGap())), "the export agrees");
    }

    @Test
    void theGapFollowsThePolicy() {
        BatchService service = service(40, "CrowdStrike");
        String id = submit(service);
        assertEquals(2, service.report(id, ItemQuery.ALL).orElseThrow().getCounts().getGap());
        assertEquals(List.of(md5("file-eicar-2026.json"), md5("file-malicious-doc-w97m-hill.json")),
                md5sOf(service, id, query("gap", "true")));
    }

    @Test
    void facetsCountTheBatchsValuesAndEachIsAFilterThatCombinesWithAVerdict() {
        BatchService service = service(40);
        String id = submit(service);
        Map<String, List<BatchRepository.FacetValue>> facets = service.facets(id,
                List.of(BatchRepository.Facet.values())).orElseThrow();
        assertEquals(List.of("family", "category", "yaraRules", "fileType", "signer", "firstSeenYear"),
                List.copyOf(facets.keySet()));
        assertEquals(List.of(new BatchRepository.FacetValue("eicar", 2), new BatchRepository.FacetValue("hill", 1),
                new BatchRepository.FacetValue("malformed", 1), new BatchRepository.FacetValue("msil", 1)),
                facets.get("family"));
        assertEquals(List.of(new BatchRepository.FacetValue("trojan", 3), new BatchRepository.FacetValue("virus", 2)),
                facets.get("category"));
        assertEquals(List.of(new BatchRepository.FacetValue("malw_eicar", 2),
                new BatchRepository.FacetValue("Multi_EICAR_ac8f42d6", 1),
                new BatchRepository.FacetValue("SUSP_Just_EICAR", 1)), facets.get("yaraRules"));
        assertEquals(new BatchRepository.FacetValue("Win32 EXE", 3), facets.get("fileType").get(0));
        assertEquals(List.of(), facets.get("signer"), "no real answer names a signer");
        assertEquals(7, facets.get("firstSeenYear").size());
        assertEquals(new BatchRepository.FacetValue("2006", 2), facets.get("firstSeenYear").get(0));

        assertEquals(2, md5sOf(service, id, query("family", "eicar")).size());
        assertEquals(List.of(md5("file-eicar-2026.json")), md5sOf(service, id, query("family", "EICAR",
                "verdict", "malicious")), "the 7-engine variant is only suspicious under the policy");
        assertEquals(List.of(md5("file-partial-xsoar-context-2021-eicar-variant.json")),
                md5sOf(service, id, query("yaraRule", "malw_eicar", "verdict", "suspicious")));
        assertEquals(3, md5sOf(service, id, query("fileType", "win32 exe")).size());
        assertEquals(List.of(md5("file-malicious-doc-w97m-hill.json")), md5sOf(service, id,
                query("firstSeenYear", "2007")));
        assertEquals(2, md5sOf(service, id, query("category", "virus")).size());
        assertEquals(List.of(), md5sOf(service, id, query("signer", "Microsoft Windows")));
        assertEquals(List.of(), md5sOf(service, id, query("family", "emotet", "verdict", "clean")));
        assertEquals(List.of(md5("file-eicar-2026.json")), md5sOf(service, id, query("yaraRule", "SUSP_Just_EICAR",
                "family", "eicar", "minDetections", "10", "firstSeenYear", "2006")), "filters combine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> query("firstSeenYear", "x"));
        assertTrue(e.getMessage().startsWith("firstSeenYear"));
    }

    @Test
    void theNewSortsOrderByTheStoredFields() {
        BatchService service = service(1);
        String id = submit(service);
        List<BatchItem> bySize = service.report(id, query("sort", "size", "dir", "desc")).orElseThrow().getItems();
        assertEquals(565248L, bySize.get(0).getSize());
        assertNull(bySize.get(bySize.size() - 1).getSize(), "the pending one, empty, last");
        List<BatchItem> byFamily = service.report(id, query("sort", "family")).orElseThrow().getItems();
        assertEquals("eicar", byFamily.get(0).getFamily());
        List<BatchItem> bySubmitted = service.report(id, query("sort", "timesSubmitted", "dir", "desc"))
                .orElseThrow().getItems();
        assertEquals(1164054L, bySubmitted.get(0).getTimesSubmitted());
    }
}
