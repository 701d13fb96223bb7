package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.PostgresDatabase;
import com.vtbatchsearch.testing.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A re-check of a whole app (workers, fake VirusTotal, webhook receiver) on each engine: the fake changes
 * its answers for some hashes between the first lookups and the re-check, and the re-check finds exactly
 * those changes, by kind; the history holds both answers; the completion and the changes are announced
 * once each, also with a second instance on the same database.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class RecheckTest {
    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger phase = new AtomicInteger(1);
    private final List<String> h = new ArrayList<>();

    private static String family(String fileJson, String family) {
        return fileJson.replace("\"popular_threat_classification\": {",
                "\"popular_threat_classification\": {\"popular_threat_name\": [{\"count\": 3, \"value\": \"other\"},"
                        + " {\"count\": 9, \"value\": \"" + family + "\"}], ");
    }

    private FakeVirusTotal.Reply answer(String hash) {
        int i = h.indexOf(hash);
        boolean second = phase.get() == 2;
        String md5 = hash.substring(32);
        String sha1 = hash.substring(0, 40);
        String body = switch (i) {
            case 0 -> FakeVirusTotal.fileJson(hash, md5, sha1, second ? 5 : 0, "a.label", "a.exe");
            case 1 -> FakeVirusTotal.fileJson(hash, md5, sha1, second ? 11 : 10, "b.label", "b.exe");
            case 2 -> FakeVirusTotal.fileJson(hash, md5, sha1, second ? 4 : 10, "c.label", "c.exe");
            case 3 -> second ? FakeVirusTotal.fileJson(hash, md5, sha1, 0, null, "d.exe") : null;
            case 4 -> FakeVirusTotal.fileJson(hash, md5, sha1, 6, second ? "trojan.e/two" : "trojan.e/one", "e.exe");
            case 5 -> family(FakeVirusTotal.fileJson(hash, md5, sha1, 6, "f.label", "f.exe"), second ? "beta" : "alpha");
            default -> family(FakeVirusTotal.fileJson(hash, md5, sha1, 6, "g.label", "g.exe"), "gamma");
        };
        FakeVirusTotal.Reply reply = body == null ? FakeVirusTotal.notFound(hash) : FakeVirusTotal.Reply.of(200, body);
        // The re-check's answers come slowly enough to ask for a second re-check while it runs.
        return second ? reply.after(Duration.ofMillis(300)) : reply;
    }

    private Map<String, String> settings(FakeVirusTotal vt, WebhookReceiver hook, String url, boolean withKey) {
        Map<String, String> settings = new HashMap<>(Instances.settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "6000",
                "WEBHOOK_URL", hook.url(), "PUBLIC_BASE_URL", "https://vt.example.com/", "DB_URL", url));
        if (engine == Databases.Engine.POSTGRESQL) {
            settings.put("DB_USER", PostgresDatabase.USER);
        }
        if (!withKey) {
            settings.remove("VT_API_KEY");
        }
        return settings;
    }

    private List<JsonNode> events(WebhookReceiver hook, String event) {
        List<JsonNode> found = new ArrayList<>();
        for (String body : hook.bodies()) {
            try {
                JsonNode message = json.readTree(body);
                if (event.equals(message.path("event").asText())) {
                    found.add(message);
                }
            } catch (java.io.IOException e) {
                throw new AssertionError(body, e);
            }
        }
        return found;
    }

    @Test
    void theRecheckFindsExactlyTheChangedAnswersByKindAndAnnouncesThemOnce() throws Exception {
        for (int i = 0; i < 7; i++) {
            h.add(Instances.sha256("recheck-" + engine, i));
        }
        String url = DATABASES.freshUrl(engine, dataDir);
        try (FakeVirusTotal vt = new FakeVirusTotal(); WebhookReceiver hook = new WebhookReceiver();
                Application app = Instances.start(settings(vt, hook, url, true));
                Application other = Instances.start(settings(vt, hook, url, false))) {
            vt.fallback(this::answer);
            BatchService batches = app.batches();
            String id = batches.submit(Instances.hashes(h)).id();
            Instances.await("the first answers", Duration.ofSeconds(30),
                    () -> batches.freshCounts(id).orElseThrow().getPending() == 0);
            assertEquals(7, vt.calls());
            // Both instances look for completions at once: one announces it.
            CompletableFuture.allOf(CompletableFuture.runAsync(() -> app.events().runOnce()),
                    CompletableFuture.runAsync(() -> other.events().runOnce())).get();
            Instances.await("the completion announced", Duration.ofSeconds(10), () -> events(hook, "completed").size() == 1);
            JsonNode completed = events(hook, "completed").get(0);
            assertEquals(id, completed.path("batchId").asText());
            assertEquals("https://vt.example.com/report/" + id, completed.path("reportUrl").asText());
            assertEquals(7, completed.path("counts").path("unique").asInt());
            assertEquals(1, completed.path("counts").path("notFound").asInt());
            assertTrue(completed.path("text").asText().contains(id), completed.toString());
            assertNull(batches.recheckState(id).orElseThrow().getStartedAt());

            phase.set(2);
            BatchService.RecheckStarted started = batches.recheck(id).orElseThrow();
            assertTrue(started.started());
            assertEquals(7, started.queued());
            BatchService.RecheckStarted again = other.batches().recheck(id).orElseThrow();
            assertFalse(again.started(), "a re-check asked for while one runs is the one running");
            assertEquals(0, again.queued());
            assertEquals(started.recheck().getStartedAt(), again.recheck().getStartedAt());
            assertTrue(again.recheck().isRunning());
            assertTrue(batches.recheck("00000000-0000-0000-0000-000000000000").isEmpty(), "an unknown batch");

            Instances.await("the re-check's answers", Duration.ofSeconds(30), () -> {
                BatchCounts c = batches.freshCounts(id).orElseThrow();
                return c.getPending() == 0 && c.getRefreshing() == 0;
            });
            assertEquals(14, vt.calls(), "each hash looked up once more, the aliases of a file never");
            CompletableFuture.allOf(CompletableFuture.runAsync(() -> app.events().runOnce()),
                    CompletableFuture.runAsync(() -> other.events().runOnce())).get();
            Recheck recheck = batches.recheckState(id).orElseThrow();
            assertFalse(recheck.isRunning());
            assertEquals(5, recheck.getChanged());
            Map<String, Integer> byKind = new LinkedHashMap<>();
            for (ChangeKind kind : ChangeKind.values()) {
                byKind.put(kind.key(), 1);
            }
            assertEquals(byKind, recheck.getChanges());

            Map<String, List<String>> changed = new LinkedHashMap<>();
            for (BatchItem item : batches.report(id, new ItemQuery(null, null, ItemQuery.Sort.POSITION, false, 0, 0,
                    ItemQuery.ANY_CHANGE)).orElseThrow().getItems()) {
                changed.put(item.getHash(), item.getChange());
            }
            Map<String, List<String>> expected = new LinkedHashMap<>();
            expected.put(h.get(0), List.of("newly_malicious", "detections_up"));
            expected.put(h.get(2), List.of("detections_down"));
            expected.put(h.get(3), List.of("newly_suspicious", "newly_known"));
            expected.put(h.get(4), List.of("label_changed"));
            expected.put(h.get(5), List.of("family_changed"));
            assertEquals(expected, changed);
            BatchService.Report byDown = batches.report(id, new ItemQuery(null, null, ItemQuery.Sort.POSITION, false,
                    0, 100, "detections_down")).orElseThrow();
            assertEquals(1, byDown.getMatched());
            assertEquals(h.get(2), byDown.getItems().get(0).getHash());
            BatchItem first = batches.report(id, new ItemQuery(null, null, ItemQuery.Sort.POSITION, false, 0, 1,
                    ItemQuery.ANY_CHANGE)).orElseThrow().getItems().get(0);
            assertEquals(0, first.getPrevious().malicious());
            assertEquals(5, first.getMalicious());
            assertTrue(batches.report(id).orElseThrow().getItems().stream()
                    .filter(i -> !expected.containsKey(i.getHash())).allMatch(i -> i.getChange().isEmpty()
                            && i.getPrevious() == null));

            // The history holds the earlier answers; the current answer is the item's.
            List<FileDetails.EarlierAnswer> history = batches.details(id, h.get(0)).orElseThrow().history();
            assertEquals(1, history.size());
            assertEquals("suspicious", history.get(0).verdict());
            assertEquals(0, history.get(0).malicious());
            assertEquals("not_found", batches.details(id, h.get(3)).orElseThrow().history().get(0).verdict());
            assertEquals("alpha", batches.details(id, h.get(5)).orElseThrow().history().get(0).family());
            assertEquals("trojan.e/one", batches.details(id, h.get(4)).orElseThrow().history().get(0).label());

            Instances.await("the changes announced", Duration.ofSeconds(10), () -> events(hook, "changed").size() == 1);
            JsonNode change = events(hook, "changed").get(0);
            assertEquals(id, change.path("batchId").asText());
            assertEquals(5, change.path("changed").asInt());
            assertEquals(List.of(h.get(0), h.get(2), h.get(3), h.get(4), h.get(5)),
                    json.convertValue(change.path("changedHashes"), List.class));
            assertEquals(1, change.path("changes").path("newly_malicious").asInt());
            assertTrue(change.path("text").asText().contains("5 changes"), change.toString());
            assertTrue(hook.bodies().stream().noneMatch(b -> b.contains(FakeVirusTotal.API_KEY)));

            // A second re-check with the same answers changes nothing: nothing more is announced.
            assertTrue(batches.recheck(id).orElseThrow().started());
            Instances.await("the second re-check's answers", Duration.ofSeconds(30), () -> {
                BatchCounts c = batches.freshCounts(id).orElseThrow();
                return c.getRefreshing() == 0;
            });
            app.events().runOnce();
            assertEquals(0, batches.recheckState(id).orElseThrow().getChanged());
            assertFalse(batches.recheckState(id).orElseThrow().isRunning());
            assertEquals(2, batches.details(id, h.get(0)).orElseThrow().history().size());
            Thread.sleep(300);
            assertEquals(1, events(hook, "changed").size());
            assertEquals(1, events(hook, "completed").size());
        }
    }
}
