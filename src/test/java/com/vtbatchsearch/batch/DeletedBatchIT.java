package com.vtbatchsearch.batch;

import static com.vtbatchsearch.testing.Instances.await;
import static com.vtbatchsearch.testing.Instances.counts;
import static com.vtbatchsearch.testing.Instances.hashes;
import static com.vtbatchsearch.testing.Instances.settings;
import static com.vtbatchsearch.testing.Instances.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.AppConfig;
import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole app instances: a worker that meets the queue entries of a batch deleted while they waited, and
 * an instance that expires old batches as it starts.
 */
class DeletedBatchIT {
    @TempDir
    Path dataDir;

    @Test
    void theWorkerSkipsADeletedBatchsEntriesWithoutCallingVirusTotal() throws Exception {
        String slow = sha256("busy", 0);
        String shared = sha256("shared", 0);
        List<String> onlyInGone = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            onlyInGone.add(sha256("gone", i));
        }
        try (FakeVirusTotal vt = new FakeVirusTotal()) {
            vt.script(slow, vt.knownFile(slow).after(Duration.ofSeconds(3)));
            try (Application app = Instances.start(settings(vt, dataDir, "VT_WORKERS", "1"))) {
                BatchService batches = app.batches();
                String busy = batches.submit(hashes(List.of(slow))).id();
                await("the one worker busy", Duration.ofSeconds(10), () -> vt.calls(slow) == 1);
                List<String> goneHashes = new ArrayList<>(onlyInGone);
                goneHashes.add(shared);
                String gone = batches.submit(hashes(goneHashes)).id();
                String kept = batches.submit(hashes(List.of(shared))).id();
                assertTrue(app.queue().isQueued(gone) && app.queue().isQueued(kept),
                        "both batches wait for their turns behind the slow lookup");

                assertTrue(batches.delete(gone));

                await("the kept batch answered", Duration.ofSeconds(30), () -> counts(batches, kept).getPending() == 0);
                await("the queue drained", Duration.ofSeconds(30), () -> app.queue().size() == 0);
                assertEquals(0, counts(batches, busy).getPending());
                for (String hash : onlyInGone) {
                    assertEquals(0, vt.calls(hash), "no batch wanted " + hash + " any more");
                }
                assertEquals(1, vt.calls(shared), "the kept batch still needed it: looked up once");
                assertEquals(2, vt.calls());
            }
        }
    }

    @Test
    void anInstanceWithARetentionDeletesOlderBatchesAsItStarts() throws Exception {
        Map<String, String> settings = Map.of("DATA_DIR", dataDir.toString());
        String old;
        String recent;
        MutableClock clock = new MutableClock(Instant.now().minus(Duration.ofDays(10)));
        try (Application earlier = Application.start(AppConfig.from(settings), clock)) {
            old = earlier.batches().submit(hashes(List.of(sha256("old", 0)))).id();
            clock.advance(Duration.ofDays(5));
            recent = earlier.batches().submit(hashes(List.of(sha256("recent", 0)))).id();
        }
        Map<String, String> withRetention = new HashMap<>(settings);
        withRetention.put("BATCH_RETENTION_DAYS", "7");
        try (Application app = Instances.start(withRetention)) {
            await("the 10-day-old batch expired", Duration.ofSeconds(30), () -> app.batches().find(old).isEmpty());
            assertTrue(app.batches().find(recent).isPresent(), "5 days old: kept");
        }
    }
}
