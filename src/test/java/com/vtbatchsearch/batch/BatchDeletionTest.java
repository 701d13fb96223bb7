package com.vtbatchsearch.batch;

import static com.vtbatchsearch.batch.BatchRepositoryTest.extracted;
import static com.vtbatchsearch.batch.BatchRepositoryTest.hash;
import static com.vtbatchsearch.batch.BatchRepositoryTest.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.lookup.LookupRepository.LookupState;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Deleting a batch and expiring old ones, on both engines: the rest of the data stays as it was. */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class BatchDeletionTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private static final Freshness FRESHNESS = new Freshness(Duration.ofDays(7), Duration.ofHours(24));

    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private final MutableClock clock = new MutableClock(T0);
    private BatchService service;

    @BeforeEach
    void open() {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        batches = new BatchRepository(database, FRESHNESS);
        lookups = new LookupRepository(database);
        service = new BatchService(batches, new EmbeddedLookupQueue(), null, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private String batch(Instant at, String... hashes) {
        String id = UUID.randomUUID().toString();
        batches.create(id, at, extracted(hashes));
        return id;
    }

    /** Unique, done, pending, not found, errors, malicious, clean. */
    private List<Integer> counts(String id) {
        BatchCounts c = batches.counts(batches.find(id).orElseThrow());
        return List.of(c.getUnique(), c.getDone(), c.getPending(), c.getNotFound(), c.getErrors(), c.getMalicious(),
                c.getClean());
    }

    private Optional<LookupState> lookup(String hash) {
        return lookups.find(hash);
    }

    @Test
    void deletingABatchLeavesOtherBatchesAndTheAnswerCacheIntact() {
        String found = hash(HashType.SHA256, "found");
        String missing = hash(HashType.MD5, "missing");
        String shared = hash(HashType.SHA1, "shared-pending");
        String onlyHere = hash(HashType.MD5, "only-here-pending");
        String gone = batch(T0, found, missing, shared, onlyHere);
        lookups.saveFound(found, report(found, null, null, 3), T0);
        lookups.saveNotFound(missing, T0);
        String kept = batch(T0.plusSeconds(1), shared, found);
        List<Integer> keptBefore = counts(kept);

        assertTrue(service.delete(gone));

        assertEquals(Optional.empty(), service.find(gone));
        assertEquals(List.of(), batches.items(gone), "its items are gone");
        assertEquals(keptBefore, counts(kept), "the other batch is as it was");
        List<BatchItem> keptItems = batches.items(kept);
        assertEquals(List.of(shared, found), keptItems.stream().map(BatchItem::getHash).toList());
        assertEquals(Integer.valueOf(3), keptItems.get(1).getMalicious(), "its cached answer still shows");
        assertEquals("done", lookup(found).orElseThrow().status(), "answers stay cached");
        assertEquals("not_found", lookup(missing).orElseThrow().status(), "answers stay cached, even unused ones");
        assertEquals("pending", lookup(shared).orElseThrow().status(), "still open for the other batch");
        assertEquals(Optional.empty(), lookup(onlyHere), "open for no batch any more: no lookup will be made");
        assertFalse(lookups.pendingHashes().contains(onlyHere));

        assertFalse(service.delete(gone), "already deleted");
        assertFalse(service.delete(UUID.randomUUID().toString()), "unknown");
        assertFalse(service.delete("not-a-uuid"));
        assertFalse(service.delete(null));

        String again = batch(T0.plusSeconds(2), onlyHere);
        assertEquals("pending", lookup(onlyHere).orElseThrow().status(), "a later batch asks for it again");
        assertEquals(1, batches.counts(batches.find(again).orElseThrow()).getPending());
    }

    @Test
    void aStaleAnswerRefreshedOnlyForTheDeletedBatchKeepsItsAnswerAndIsNotLookedUpAgain() {
        String stale = hash(HashType.SHA256, "stale");
        String old = batch(T0.minus(Duration.ofDays(30)), stale);
        lookups.saveFound(stale, report(stale, null, null, 1), T0.minus(Duration.ofDays(30)));
        String refreshing = batch(T0, stale);
        assertTrue(lookup(stale).orElseThrow().refresh(), "the new batch asked for a fresh answer");
        assertTrue(service.delete(old));
        assertTrue(lookup(stale).orElseThrow().needsLookup(), "the new batch still waits for it");

        assertTrue(service.delete(refreshing));

        LookupState state = lookup(stale).orElseThrow();
        assertEquals("done", state.status());
        assertFalse(state.needsLookup(), "no batch is waiting for the fresh answer any more");
    }

    @Test
    void expiryDeletesTheBatchesOlderThanTheRetentionAndNothingElse() {
        String found = hash(HashType.SHA256, "found");
        String old = batch(T0.minus(Duration.ofDays(10)), found);
        lookups.saveFound(found, report(found, null, null, 2), T0.minus(Duration.ofDays(10)));
        String older = batch(T0.minus(Duration.ofDays(40)), hash(HashType.MD5, "older"));
        String recent = batch(T0.minus(Duration.ofDays(6)), found, hash(HashType.MD5, "recent"));
        String today = batch(T0, hash(HashType.MD5, "today"));

        new BatchExpiry(service, Duration.ofDays(7), clock).run();

        assertEquals(Optional.empty(), service.find(old));
        assertEquals(Optional.empty(), service.find(older));
        assertTrue(service.find(recent).isPresent());
        assertTrue(service.find(today).isPresent());
        assertEquals(2, batches.countBatches());
        assertEquals(2, batches.items(recent).size());
        assertEquals("done", lookup(found).orElseThrow().status(), "the cached answer stays");
        assertEquals(0, service.deleteCreatedBefore(T0.minus(Duration.ofDays(7))), "nothing left to expire");

        clock.advance(Duration.ofDays(2));
        new BatchExpiry(service, Duration.ofDays(7), clock).run();
        assertEquals(Optional.empty(), service.find(recent));
        assertTrue(service.find(today).isPresent());
    }

    @Test
    void expiryWorksThroughMoreBatchesThanOneChunk() {
        for (int i = 0; i < 230; i++) {
            batch(T0.minus(Duration.ofDays(2)).plusSeconds(i), hash(HashType.MD5, "old-" + i));
        }
        String kept = batch(T0, hash(HashType.MD5, "kept"));
        assertEquals(230, service.deleteCreatedBefore(T0.minus(Duration.ofDays(1))));
        assertEquals(1, batches.countBatches());
        assertTrue(service.find(kept).isPresent());
    }

    /**
     * An upload in flight that holds a hash's row (it upserted it and has not committed its items yet)
     * still needs it: the delete must neither wait for it nor drop the row from under it.
     */
    @Test
    void onPostgresARowAnUploadInFlightHoldsIsLeftToIt() throws Exception {
        assumeTrue(engine == Databases.Engine.POSTGRESQL);
        String contested = hash(HashType.MD5, "contested");
        String alone = hash(HashType.MD5, "alone");
        String gone = batch(T0, contested, alone);
        try (Connection upload = database.connection()) {
            upload.setAutoCommit(false);
            try (PreparedStatement lock = upload.prepareStatement("SELECT hash FROM lookups WHERE hash = ? FOR UPDATE")) {
                lock.setString(1, contested);
                lock.executeQuery().close();
            }
            try {
                assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(15), () -> service.delete(gone)),
                        "does not wait for the upload");
            } finally {
                upload.rollback();
            }
        }
        assertEquals("pending", lookup(contested).orElseThrow().status());
        assertEquals(Optional.empty(), lookup(alone));
    }
}
