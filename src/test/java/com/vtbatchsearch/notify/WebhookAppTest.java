package com.vtbatchsearch.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.testing.BlackHole;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook in a running app: a completion delivered after a 500, and a webhook that never answers holds up no lookup. */
class WebhookAppTest {
    @TempDir
    Path dataDir;

    private static List<String> hashes(String seed, int n) {
        return IntStream.range(0, n).mapToObj(i -> Instances.sha256(seed, i)).toList();
    }

    @Test
    void aCompletionIsDeliveredAfterA500() throws Exception {
        try (FakeVirusTotal vt = new FakeVirusTotal(); WebhookReceiver hook = new WebhookReceiver().answer(500);
                Application app = Instances.start(Instances.settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "6000",
                        "WEBHOOK_URL", hook.url()))) {
            BatchService batches = app.batches();
            String id = batches.submit(Instances.hashes(hashes("delivered", 3))).id();
            Instances.await("the answers", Duration.ofSeconds(20),
                    () -> batches.freshCounts(id).orElseThrow().getPending() == 0);
            app.events().runOnce();
            Instances.await("the completion delivered", Duration.ofSeconds(20), () -> hook.statuses().size() == 2);
            assertEquals(List.of(500, 200), hook.statuses());
            assertEquals(hook.bodies().get(0), hook.bodies().get(1));
            assertEquals("/report/" + id, new ObjectMapper().readTree(hook.bodies().get(1)).path("reportUrl").asText(),
                    "without PUBLIC_BASE_URL the report's path");
        }
    }

    @Test
    void aWebhookThatNeverAnswersDoesNotHoldUpLookups() throws Exception {
        try (FakeVirusTotal vt = new FakeVirusTotal(); BlackHole hole = new BlackHole();
                Application app = Instances.start(Instances.settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "6000",
                        "WEBHOOK_URL", "http://127.0.0.1:" + hole.port() + "/hook"))) {
            BatchService batches = app.batches();
            String first = batches.submit(Instances.hashes(hashes("first", 3))).id();
            Instances.await("the first batch's answers", Duration.ofSeconds(20),
                    () -> batches.freshCounts(first).orElseThrow().getPending() == 0);
            app.events().runOnce();
            Instances.await("the completion sent to a webhook that never answers", Duration.ofSeconds(10),
                    () -> hole.accepted() == 1);

            String second = batches.submit(Instances.hashes(hashes("second", 20))).id();
            Instances.await("the second batch's answers", Duration.ofSeconds(20),
                    () -> batches.freshCounts(second).orElseThrow().getPending() == 0);
            // Measured at the event: the second batch was answered while the webhook still held the first message.
            assertTrue(app.webhook().waiting() >= 1, "the webhook's message is still waiting for an answer");
            assertEquals(1, hole.accepted());
            assertEquals(23, vt.calls());
        }
    }
}
