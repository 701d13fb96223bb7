package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LocalRateLimiter;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.LookupQueue;
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

    /** The batches whose turns are waiting, in turn order; takes them all. */
    private List<String> drain() throws InterruptedException {
        List<String> taken = new ArrayList<>();
        Optional<LookupQueue.Turn> next;
        while ((next = queue.take(Duration.ZERO)).isPresent()) {
            taken.add(next.get().batchId());
        }
        return taken;
    }

    private static FileReport report(String md5, int malicious) {
        return new FileReport("%064x".formatted(Long.parseLong(md5.substring(24), 16)), md5, null, malicious, 0, 60, 0,
                "label", "name", "Win32 EXE", null, null, null, List.of(), "{}");
    }

    @Test
    void submitGivesTheNewBatchOnePlaceInTheQueue() throws InterruptedException {
        BatchService.Submitted first = service.submit(extracted(md5(1), md5(2), md5(1)));

        assertEquals(3, first.found());
        assertEquals(2, first.unique());
        assertEquals(2, first.queued());
        assertEquals(List.of(first.id()), drain());
    }

    @Test
    void aBatchWhoseHashesArePendingForAnotherBatchTakesTurnsToo() throws InterruptedException {
        BatchService.Submitted first = service.submit(extracted(md5(1), md5(2)));
        lookups.saveNotFound(md5(2), clock.instant());

        BatchService.Submitted second = service.submit(extracted(md5(2), md5(1), md5(3)));

        assertEquals(2, second.queued(), "the pending one and the new one; not the answered one");
        assertEquals(List.of(first.id(), second.id()), drain());
    }

    @Test
    void reUploadsOfAPendingListAddOnePlaceEachNotOneEntryPerHash() {
        String[] list = new String[1_000];
        for (int i = 0; i < list.length; i++) {
            list[i] = md5(i);
        }
        service.submit(extracted(list));

        for (int i = 0; i < 30; i++) {
            service.submit(extracted(list));
        }

        System.out.println("embedded queue after 30 re-uploads of a 1,000-hash pending list: " + queue.size()
                + " entries");
        assertEquals(31, queue.size());
    }

    @Test
    void withoutAnApiKeyUploadsQueueNothingInMemory() {
        BatchRepository batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        BatchService keyless = new BatchService(batches, queue, null, clock);

        BatchService.Submitted batch = keyless.submit(extracted(md5(1), md5(2)));

        assertEquals(2, batch.queued(), "open in the database");
        assertEquals(0, queue.size());
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
        assertEquals(List.of(batch.id()), drain());
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

    @Test
    void aTextFilterMatchesAsManyAsItsPagesHoldWhetherOrNotItCounts() {
        String[] hashes = new String[25];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = md5(i < 12 ? 0xab00 + i : 0xcd00 + i);
        }
        String id = service.submit(extracted(hashes)).id();
        for (int[] page : new int[][] {{0, 5}, {0, 12}, {0, 100}, {10, 5}, {10, 100}, {12, 5}, {50, 5}}) {
            ItemQuery query = new ItemQuery(null, "ab0", ItemQuery.Sort.POSITION, false, page[0], page[1]);
            BatchService.Report report = service.report(id, query).orElseThrow();
            assertEquals(12, report.getMatched(), "offset " + page[0] + ", limit " + page[1]);
            assertEquals(Math.max(0, Math.min(page[1], 12 - page[0])), report.getItems().size());
        }
        assertEquals(0, service.report(id, new ItemQuery(null, "no such", ItemQuery.Sort.POSITION, false, 0, 100))
                .orElseThrow().getMatched());
    }
}
