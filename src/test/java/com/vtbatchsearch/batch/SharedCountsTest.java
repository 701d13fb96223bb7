package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A report's counts are counted once per interval and shared by its readers, and are always true of the
 * batch at one instant, while answers and uploads change it concurrently; on each engine.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class SharedCountsTest {
    private static final Freshness FRESHNESS = new Freshness(Duration.ofDays(7), Duration.ofHours(24));

    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private String url;
    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private final MutableClock clock = new MutableClock(Instant.now());
    private final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void open() {
        url = DATABASES.freshUrl(engine, dataDir);
        database = Databases.open(url);
        batches = new BatchRepository(database, FRESHNESS);
        lookups = new LookupRepository(database);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private static String md5(int i) {
        return "%032x".formatted(i);
    }

    private static ExtractedHashes extracted(List<String> hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        hashes.forEach(h -> distinct.putIfAbsent(h, HashType.MD5));
        return new ExtractedHashes(distinct, hashes.size());
    }

    private static FileReport found(String md5, int malicious) {
        return new FileReport("%064x".formatted(Long.parseLong(md5.substring(16), 16)), md5, null, malicious, 0, 60,
                0, "label", "name", "Win32 EXE", null, null, null, List.of(), "{}");
    }

    private static List<String> md5s(int from, int to) {
        List<String> hashes = new ArrayList<>();
        for (int i = from; i < to; i++) {
            hashes.add(md5(i));
        }
        return hashes;
    }

    @Test
    void readersShareOneCountPerIntervalInsteadOfCountingTheBatchEachTime() {
        BatchService service = new BatchService(batches, new EmbeddedLookupQueue(), null, clock, nanos::get);
        String id = service.submit(extracted(md5s(0, 10))).id();
        assertEquals(10, service.report(id, ItemQuery.ALL).orElseThrow().getCounts().getPending());

        for (int i = 0; i < 5; i++) {
            lookups.saveFound(md5(i), found(md5(i), 1), clock.instant());
        }
        nanos.addAndGet(SharedCounts.MIN_INTERVAL_NANOS / 2);
        for (int read = 0; read < 100; read++) {
            // The answers are in the database, but within the interval every reader gets the shared count:
            // no read counts the batch again.
            assertEquals(10, service.report(id, ItemQuery.ALL).orElseThrow().getCounts().getPending());
        }
        nanos.addAndGet(SharedCounts.MIN_INTERVAL_NANOS);
        BatchCounts counts = service.report(id, ItemQuery.ALL).orElseThrow().getCounts();
        assertEquals(5, counts.getPending());
        assertEquals(5, counts.getMalicious());
    }

    @Test
    void theTurnsOfOtherBatchesAreCountedOncePerIntervalForAllBatches() {
        SharedCounts shared = new SharedCounts(batches, nanos::get);
        String mine = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        batches.create(mine, clock.instant(), extracted(md5s(0, 3)));
        batches.create(other, clock.instant(), extracted(md5s(10, 20)));
        assertEquals(2, shared.turnsOfOthers(mine, 2));
        assertEquals(batches.turnsOfOthers(mine, 2), shared.turnsOfOthers(mine, 2));
        assertEquals(3, shared.turnsOfOthers(other, 5));

        batches.create(UUID.randomUUID().toString(), clock.instant(), extracted(md5s(30, 40)));
        assertEquals(2, shared.turnsOfOthers(mine, 2), "within the interval, the shared count");
        nanos.addAndGet(SharedCounts.MIN_INTERVAL_NANOS);
        assertEquals(4, shared.turnsOfOthers(mine, 2));
    }

    @Test
    void aDoneBatchStaysDoneUntilThisInstanceReopensIt() {
        BatchService service = new BatchService(batches, new EmbeddedLookupQueue(), null, clock, nanos::get);
        String id = service.submit(extracted(md5s(0, 2))).id();
        lookups.saveNotFound(md5(0), clock.instant());
        lookups.saveNotFound(md5(1), clock.instant());
        nanos.addAndGet(SharedCounts.MIN_INTERVAL_NANOS);
        assertFalse(service.report(id, ItemQuery.ALL).orElseThrow().isPending());
        clock.advance(Duration.ofDays(2)); // the not-found answers go stale
        assertEquals(2, service.refreshStale(id).orElseThrow());
        assertEquals(2, service.report(id, ItemQuery.ALL).orElseThrow().getCounts().getRefreshing(),
                "a refresh asked here shows at once");
    }

    /**
     * Workers answer a batch's hashes while other uploads share them and readers count it: every count
     * read is one the batch had at some instant (nothing torn between columns), done never goes back,
     * and the batch is done exactly when the last answer is in.
     */
    @Test
    void countsStayTrueOfOneInstantUnderConcurrentAnswersAndUploads() throws Exception {
        int size = 400;
        List<String> hashes = md5s(0, size);
        String id = UUID.randomUUID().toString();
        batches.create(id, clock.instant(), extracted(hashes));
        Batch batch = batches.find(id).orElseThrow();
        SharedCounts shared = new SharedCounts(batches, System::nanoTime);

        List<String> shuffled = new ArrayList<>(hashes);
        Collections.shuffle(shuffled);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        AtomicBoolean answering = new AtomicBoolean(true);
        // Writers start once both readers have read: every reader sees the batch before, during and after.
        CountDownLatch readersStarted = new CountDownLatch(2);
        List<Future<?>> writers = new ArrayList<>();
        List<Database> opened = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            // Each writer is an instance of its own, with a connection pool of its own.
            Database own = Databases.open(url);
            opened.add(own);
            LookupRepository answers = new LookupRepository(own);
            List<String> share = shuffled.subList(w * size / 2, (w + 1) * size / 2);
            writers.add(pool.submit(() -> {
                readersStarted.await(10, TimeUnit.SECONDS);
                for (int n = 0; n < share.size(); n++) {
                    String hash = share.get(n);
                    if (n % 3 == 0) {
                        answers.saveNotFound(hash, clock.instant());
                    } else {
                        answers.saveFound(hash, found(hash, n % 3 == 1 ? 1 : 0), clock.instant());
                    }
                }
                return null;
            }));
        }
        Database uploaderDb = Databases.open(url);
        opened.add(uploaderDb);
        BatchRepository uploader = new BatchRepository(uploaderDb, FRESHNESS);
        writers.add(pool.submit(() -> {
            readersStarted.await(10, TimeUnit.SECONDS);
            for (int n = 0; n < 10; n++) {
                uploader.create(UUID.randomUUID().toString(), clock.instant(),
                        extracted(hashes.subList(n * 40, n * 40 + 60 > size ? size : n * 40 + 60)));
            }
            return null;
        }));
        List<Future<List<BatchCounts>>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            boolean direct = r == 0;
            readers.add(pool.submit(() -> {
                List<BatchCounts> seen = new ArrayList<>();
                seen.add(direct ? batches.counts(batch) : shared.counts(batch));
                readersStarted.countDown();
                // At least one more read, begun after the first: on a fast machine the writers may finish before it.
                while (answering.get() || seen.size() < 2) {
                    seen.add(direct ? batches.counts(batch) : shared.counts(batch));
                }
                return seen;
            }));
        }
        for (Future<?> writer : writers) {
            writer.get(60, TimeUnit.SECONDS);
        }
        answering.set(false);
        for (Future<List<BatchCounts>> reader : readers) {
            int lastDone = -1;
            List<BatchCounts> seen = reader.get(10, TimeUnit.SECONDS);
            assertTrue(seen.size() > 1);
            for (BatchCounts c : seen) {
                assertEquals(size, c.getDone() + c.getPending());
                assertEquals(c.getDone(), c.getNotFound() + c.getErrors() + c.getMalicious() + c.getSuspicious()
                        + c.getClean(), "every answered hash has exactly one verdict");
                assertTrue(c.getDone() >= lastDone, "done never goes back");
                lastDone = c.getDone();
            }
        }
        pool.shutdown();
        opened.forEach(Database::close);

        BatchCounts last = batches.counts(batch);
        assertEquals(0, last.getPending());
        assertEquals(size / 3 + 1, last.getNotFound());
        BatchService service = new BatchService(batches, new EmbeddedLookupQueue(), null, clock, nanos::get);
        assertFalse(service.report(id, ItemQuery.ALL).orElseThrow().isPending(), "done with its last answer");
    }
}
