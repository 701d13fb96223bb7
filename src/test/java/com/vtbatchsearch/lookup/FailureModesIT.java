package com.vtbatchsearch.lookup;

import static com.vtbatchsearch.testing.Instances.await;
import static com.vtbatchsearch.testing.Instances.counts;
import static com.vtbatchsearch.testing.Instances.hashes;
import static com.vtbatchsearch.testing.Instances.settings;
import static com.vtbatchsearch.testing.Instances.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.FakeVirusTotal.Reply;
import com.vtbatchsearch.testing.Instances;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole instance against a VirusTotal that misbehaves in every way it can. */
class FailureModesIT {
    @TempDir
    Path dataDir;

    @Test
    void batchCompletesWithErrorsOnlyWhereRetriesRanOut() throws Exception {
        try (FakeVirusTotal vt = new FakeVirusTotal()) {
            String tooMany = sha256("fail", 1);
            String alwaysFails = sha256("fail", 2);
            String unavailable = sha256("fail", 3);
            String slow = sha256("fail", 4);
            String reset = sha256("fail", 5);
            String truncated = sha256("fail", 6);
            String alwaysReset = sha256("fail", 7);
            vt.script(tooMany, FakeVirusTotal.error(429, "TooManyRequestsError", "Too many requests"));
            vt.script(alwaysFails, FakeVirusTotal.error(500, "InternalError", "boom"),
                    FakeVirusTotal.error(500, "InternalError", "boom"), FakeVirusTotal.error(500, "InternalError", "boom"));
            vt.script(unavailable, Reply.of(503, "<html>Service Unavailable</html>"));
            vt.script(slow, vt.knownFile(slow).after(Duration.ofMillis(2_500)));
            vt.script(reset, Reply.reset());
            String body = vt.knownFile(truncated).body();
            vt.script(truncated, Reply.of(200, body.substring(0, body.length() / 2)));
            vt.script(alwaysReset, Reply.reset(), Reply.reset(), Reply.reset());
            List<String> all = new ArrayList<>(List.of(tooMany, alwaysFails, unavailable, slow, reset, truncated,
                    alwaysReset));
            for (int i = 0; i < 20; i++) {
                all.add(sha256("fine", i));
            }

            try (Application app = Instances.start(settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "6000",
                    "VT_TIMEOUT_SECONDS", "1", "VT_MAX_ATTEMPTS", "3", "VT_RETRY_BASE_MS", "50"))) {
                String id = app.batches().submit(hashes(all)).id();
                await("the 429 pauses lookups", Duration.ofSeconds(30), () -> app.status().isPaused());
                assertTrue(app.status().getNotice().startsWith("Lookups paused until "), app.status().getNotice());
                assertTrue(app.status().getNotice().contains("TooManyRequestsError"), app.status().getNotice());
                await("the batch completes", Duration.ofSeconds(120),
                        () -> counts(app.batches(), id).getPending() == 0);

                Map<String, String> statuses = app.batches().report(id).orElseThrow().getItems().stream()
                        .collect(Collectors.toMap(BatchItem::getHash, BatchItem::getStatus));
                assertEquals("error", statuses.get(alwaysFails));
                assertEquals("error", statuses.get(alwaysReset));
                assertEquals(2, statuses.values().stream().filter("error"::equals).count(),
                        "errors only where retries ran out: " + statuses);
                assertEquals(25, statuses.values().stream().filter("done"::equals).count());
                assertEquals(2, vt.calls(tooMany), "the hash put back after the 429 was answered later");
                assertEquals(3, vt.calls(alwaysFails));
                assertEquals(2, vt.calls(slow), "a timed-out request is retried");
                assertEquals(2, vt.calls(truncated));
                assertEquals(1, vt.calls(sha256("fine", 0)));
                String error = app.batches().report(id).orElseThrow().getItems().get(1).getError();
                assertTrue(error.contains("500"), error);
                assertTrue(!error.contains(FakeVirusTotal.API_KEY));
            }
        }
    }
}
