package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LocalRateLimiter;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.QueuedLookup;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchServiceTest {
    @TempDir
    Path dataDir;

    private final MutableClock clock = new MutableClock(Instant.now());
    private final EmbeddedLookupQueue queue = new EmbeddedLookupQueue();
    private Database database;
    private LookupRepository lookups;
    private BatchService service;

    @BeforeEach
    void open() {
        database = Database.openSqlite(dataDir);
        lookups = new LookupRepository(database);
        BatchRepository batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        service = new BatchService(batches, queue, new LocalRateLimiter(4, 500, clock, List.of(), at -> { }), clock);
    }

    @AfterEach
    void close() {
        queue.close();
        database.close();
    }

    private static ExtractedHashes extracted(String... hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        for (String h : hashes) {
            distinct.putIfAbsent(h, HashType.of(h).orElseThrow());
        }
        return new ExtractedHashes(distinct, hashes.length);
    }

    private static String md5(int i) {
        return "%032x".formatted(i);
    }

    private List<QueuedLookup> drain() throws InterruptedException {
        List<QueuedLookup> taken = new ArrayList<>();
        Optional<QueuedLookup> next;
        while ((next = queue.take(Duration.ZERO)).isPresent()) {
            taken.add(next.get());
        }
        return taken;
    }

    private static FileReport report(String md5, int malicious) {
        return new FileReport("%064x".formatted(Long.parseLong(md5.substring(24), 16)), md5, null, malicious, 0, 60, 0,
                "label", "name", "Win32 EXE", null, null, null, List.of(), "{}");
    }

    @Test
    void submitQueuesTheNewBatchsOpenHashesInUploadOrder() throws InterruptedException {
        BatchService.Submitted first = service.submit(extracted(md5(1), md5(2), md5(1)));

        assertEquals(3, first.found());
        assertEquals(2, first.unique());
        assertEquals(2, first.queued());
        assertEquals(List.of(new QueuedLookup(first.id(), md5(1)), new QueuedLookup(first.id(), md5(2))), drain());
    }

    @Test
    void aHashPendingForAnotherBatchIsQueuedForTheNewBatchToo() throws InterruptedException {
        BatchService.Submitted first = service.submit(extracted(md5(1), md5(2)));
        lookups.saveNotFound(md5(2), clock.instant());

        BatchService.Submitted second = service.submit(extracted(md5(2), md5(1), md5(3)));

        assertEquals(2, second.queued(), "the pending one and the new one; not the answered one");
        Map<String, Long> lengths = queue.lengths();
        assertEquals(2L, lengths.get(first.id()));
        assertEquals(2L, lengths.get(second.id()));
        List<QueuedLookup> secondEntries = drain().stream().filter(e -> e.batchId().equals(second.id())).toList();
        assertEquals(List.of(new QueuedLookup(second.id(), md5(1)), new QueuedLookup(second.id(), md5(3))),
                secondEntries);
    }

    @Test
    void refreshStaleQueuesTheBatchsStaleAnswers() throws InterruptedException {
        Instant old = clock.instant().minus(Duration.ofDays(8));
        clock.set(old);
        BatchService.Submitted batch = service.submit(extracted(md5(1), md5(2)));
        drain();
        lookups.saveFound(md5(1), report(md5(1), 3), old);
        lookups.saveFound(md5(2), report(md5(2), 0), old.plus(Duration.ofDays(5)));
        clock.set(old.plus(Duration.ofDays(8)));

        Optional<Integer> queued = service.refreshStale(batch.id());

        assertEquals(Optional.of(1), queued);
        assertEquals(List.of(new QueuedLookup(batch.id(), md5(1))), drain());
        assertTrue(lookups.find(md5(1)).orElseThrow().refresh());
    }

    @Test
    void refreshStaleOfAnUnknownOrMalformedIdIsEmpty() {
        assertEquals(Optional.empty(), service.refreshStale("00000000-0000-4000-8000-000000000000"));
        assertEquals(Optional.empty(), service.refreshStale("not-a-uuid"));
        assertEquals(Optional.empty(), service.refreshStale(null));
        assertEquals(0, queue.size());
    }

    @Test
    void theReportCarriesTheProgress() {
        BatchService.Submitted batch = service.submit(extracted(md5(1), md5(2)));

        BatchService.Report report = service.report(batch.id()).orElseThrow();

        assertEquals(2, report.getProgress().getOpen());
        assertEquals(2, report.getProgress().getLookupsToGo());
        assertEquals(30L, report.getProgress().getEtaSeconds());
        assertTrue(report.isPending());
    }
}
