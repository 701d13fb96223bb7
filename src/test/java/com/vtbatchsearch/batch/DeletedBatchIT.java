package com.vtbatchsearch.batch;

import static com.vtbatchsearch.testing.Instances.await;
import static com.vtbatchsearch.testing.Instances.counts;
import static com.vtbatchsearch.testing.Instances.hashes;
import static com.vtbatchsearch.testing.Instances.settings;
import static com.vtbatchsearch.testing.Instances.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole app instance whose worker meets the queue entries of a batch deleted while they waited. */
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
                assertTrue(app.queue().size() >= 7, "the entries wait behind the slow lookup");

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
}
