package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.MutableClock;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Big uploads are answered once kept (one row) and stored in the background: until then the batch does not
 * exist and is reported as being stored; then it is the batch a direct store makes; it is stored exactly once
 * however many instances try, and an upload left kept by a stopped instance is stored by the next look.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class StagedUploadTest {
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
    private final MutableClock clock = MutableClock.at("2026-12-01T10:00:00Z");
    private final List<Runnable> tasks = new ArrayList<>();

    @BeforeEach
    void open() {
        url = DATABASES.freshUrl(engine, dataDir);
        database = Databases.open(url);
        batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        lookups = new LookupRepository(database);
    }

    @AfterEach
    void close() {
        database.close();
    }

    /** A service that stores uploads of at least 5 hashes in the background, on tasks the test runs itself. */
    private BatchService service(BatchRepository repository) {
        return new BatchService(repository, new EmbeddedLookupQueue(), null, clock)
                .storeInBackground(new StagedUploadRepository(repository), tasks::add, 5);
    }

    private static ExtractedHashes upload(int count, String salt) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        Map<String, String> contexts = new HashMap<>();
        for (int n = 0; n < count; n++) {
            HashType type = HashType.values()[n % 3];
            String hash = (salt + "%0" + (type.length() - 1) + "x").formatted(n);
            distinct.put(hash, type);
            if (n % 2 == 0) {
                contexts.put(hash, "ligne " + n + " : «" + hash + "» \t naïve");
            }
        }
        return new ExtractedHashes(distinct, count + 3L, contexts);
    }

    private static FileReport found(String hash, int malicious) {
        return new FileReport("%064x".formatted(hash.hashCode() & 0xffffffffL), null, null, malicious, 0, 60, 0,
                "trojan.x/y", "a.exe", "Win32 EXE", null, null, null, List.of(), "{}");
    }

    @Test
    void aBigUploadIsAnsweredOnceKeptThenStoredAsADirectStoreWouldBe() {
        BatchService service = service(batches);
        ExtractedHashes hashes = upload(8, "a");
        List<String> listed = hashes.hashes();
        lookups.saveFound(listed.get(1), found(listed.get(1), 7), clock.instant()); // known before the upload
        lookups.saveNotFound(listed.get(2), clock.instant());

        BatchService.Submitted submitted = service.submit(hashes);

        assertFalse(submitted.stored());
        assertEquals(8, submitted.unique());
        assertTrue(service.find(submitted.id()).isEmpty(), "no batch until it is stored");
        assertEquals(8, service.storing(submitted.id()).orElseThrow().unique());
        assertEquals(1, tasks.size());

        tasks.get(0).run();

        assertTrue(service.storing(submitted.id()).isEmpty());
        BatchService.Report report = service.report(submitted.id()).orElseThrow();
        assertEquals(hashes.found(), report.getBatch().getFound());
        List<BatchItem> items = report.getItems();
        assertEquals(listed, items.stream().map(BatchItem::getHash).toList());
        for (BatchItem item : items) {
            assertEquals(hashes.context(item.getHash()), item.getContext(), item.getHash());
        }

        // The same upload stored at once (under the threshold) reads the same, item for item.
        BatchService direct = new BatchService(batches, new EmbeddedLookupQueue(), null, clock);
        BatchService.Submitted at = direct.submit(hashes);
        assertTrue(at.stored());
        List<BatchItem> expected = direct.report(at.id()).orElseThrow().getItems();
        assertEquals(expected.size(), items.size());
        for (int n = 0; n < items.size(); n++) {
            assertEquals(expected.get(n).getHash(), items.get(n).getHash());
            assertEquals(expected.get(n).getType(), items.get(n).getType());
            assertEquals(expected.get(n).getStatus(), items.get(n).getStatus());
            assertEquals(expected.get(n).getContext(), items.get(n).getContext());
        }
        assertEquals("pending", items.get(0).getStatus());
        assertNotEquals("pending", items.get(1).getStatus());
    }

    @Test
    void aSmallUploadIsStoredAtOnce() {
        BatchService service = service(batches);
        BatchService.Submitted submitted = service.submit(upload(4, "b"));
        assertTrue(submitted.stored());
        assertTrue(service.find(submitted.id()).isPresent());
        assertTrue(service.storing(submitted.id()).isEmpty());
        assertTrue(tasks.isEmpty());
    }

    @Test
    void anUploadLeftKeptByAStoppedInstanceIsStoredByTheNextLookOnce() {
        BatchService service = service(batches);
        BatchService.Submitted submitted = service.submit(upload(6, "c"));
        tasks.clear(); // the instance stopped before its task ran

        assertEquals(0, service.storeWaitingUploads(), "left to its own task for a while");
        clock.advance(BatchService.STAGED_GRACE.plusSeconds(1));
        assertEquals(1, service.storeWaitingUploads());
        assertEquals(6, service.report(submitted.id()).orElseThrow().getItems().size());
        assertEquals(0, service.storeWaitingUploads());
        assertFalse(service.storeStaged(submitted.id(), null), "nothing left to store");
    }

    @Test
    void twoInstancesStoringOneUploadStoreItOnce() throws Exception {
        BatchService.Submitted submitted = service(batches).submit(upload(300, "d"));
        try (Database second = Databases.open(url)) {
            BatchRepository secondBatches = new BatchRepository(second, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
            List<BatchService> instances = List.of(service(batches), service(secondBatches));
            CyclicBarrier start = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Boolean>> stored = new ArrayList<>();
                for (BatchService instance : instances) {
                    stored.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        return instance.storeStaged(submitted.id(), null);
                    }));
                }
                boolean first = stored.get(0).get(60, TimeUnit.SECONDS);
                boolean other = stored.get(1).get(60, TimeUnit.SECONDS);
                assertTrue(first ^ other, "exactly one stored it: " + first + ", " + other);
            } finally {
                pool.shutdownNow();
            }
        }
        assertEquals(300, service(batches).report(submitted.id()).orElseThrow().getItems().size());
    }

    @Test
    void aKeptUploadThatCannotBeReadIsLeftAndTheLookGoesOn() throws Exception {
        BatchService service = service(batches);
        String broken = "00000000-0000-4000-8000-000000000001";
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "INSERT INTO staged_uploads (batch_id, created_at, unique_count, hashes) VALUES (?, ?, ?, ?)")) {
            s.setString(1, broken);
            s.setLong(2, clock.instant().minusSeconds(60).toEpochMilli());
            s.setInt(3, 2);
            s.setBytes(4, new byte[] {9, 9, 9});
            s.executeUpdate();
        }
        BatchService.Submitted good = service.submit(upload(5, "e"));
        tasks.clear();
        clock.advance(BatchService.STAGED_GRACE.plusSeconds(1));

        assertEquals(1, service.storeWaitingUploads(), "the readable one is stored, the broken one left");
        assertTrue(service.find(good.id()).isPresent());
        assertTrue(service.storing(broken).isPresent(), "left as it is, for an instance that can read it");
        assertTrue(service.find(broken).isEmpty());
    }

    @Test
    void keptHashesReadBackExactlyAndOtherBytesFailClearly() {
        ExtractedHashes hashes = upload(7, "f");
        ExtractedHashes back = StagedUploadRepository.decode(StagedUploadRepository.encode(hashes));
        assertEquals(List.copyOf(hashes.distinct().entrySet()), List.copyOf(back.distinct().entrySet()));
        assertEquals(hashes.found(), back.found());
        for (String hash : hashes.hashes()) {
            assertEquals(hashes.context(hash), back.context(hash));
        }
        byte[] bytes = StagedUploadRepository.encode(hashes);
        UncheckedIOException truncated = assertThrows(UncheckedIOException.class,
                () -> StagedUploadRepository.decode(java.util.Arrays.copyOf(bytes, bytes.length - 3)));
        assertTrue(truncated.getMessage().startsWith("a staged upload cannot be read"), truncated.getMessage());
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(UncheckedIOException.class, () -> StagedUploadRepository.decode(longer));
        byte[] otherFormat = bytes.clone();
        otherFormat[0] = 2;
        UncheckedIOException format = assertThrows(UncheckedIOException.class, () -> StagedUploadRepository.decode(otherFormat));
        assertTrue(format.getMessage().contains("unknown format 2"), format.getMessage());
    }
}
