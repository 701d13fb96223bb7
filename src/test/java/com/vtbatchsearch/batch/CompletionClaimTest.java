package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A batch's completion is claimed (and so announced) once, and only when none of its hashes waits for a first answer. */
@ParameterizedClass(name = "{0}")
@EnumSource(Databases.Engine.class)
class CompletionClaimTest {
    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Databases.Engine engine;

    @TempDir
    Path dataDir;

    private Database database;
    private BatchRepository batches;
    private LookupRepository lookups;
    private RecheckRepository rechecks;

    @BeforeEach
    void open() {
        database = Databases.open(DATABASES.freshUrl(engine, dataDir));
        batches = new BatchRepository(database, new Freshness(Duration.ofDays(7), Duration.ofHours(24)));
        lookups = new LookupRepository(database);
        rechecks = new RecheckRepository(database);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private String create(List<String> hashes) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        hashes.forEach(h -> distinct.put(h, HashType.MD5));
        String id = UUID.randomUUID().toString();
        batches.create(id, Instant.now(), new ExtractedHashes(distinct, hashes.size()));
        return id;
    }

    private static FileReport found(String md5) {
        return new FileReport("%064x".formatted(Long.parseLong(md5.substring(16), 16)), md5, null, 3, 0, 60, 0,
                "label", "name", "Win32 EXE", null, null, null, List.of(), "{}");
    }

    @Test
    void claimedOnceAndOnlyWhenNothingWaitsForAFirstAnswer() {
        String a = "%032x".formatted(1);
        String b = "%032x".formatted(2);
        String c = "%032x".formatted(3);
        String id = create(List.of(a, b, c));
        String other = create(List.of(c));

        assertFalse(rechecks.claimCompletion(id), "three pending");
        lookups.saveFound(a, found(a), Instant.now());
        lookups.saveNotFound(b, Instant.now());
        assertFalse(rechecks.claimCompletion(id), "one still pending");
        assertFalse(rechecks.claimCompletion(other), "its one hash is the same pending one");

        lookups.saveFound(c, found(c), Instant.now());
        assertTrue(rechecks.claimCompletion(id), "every hash answered");
        assertFalse(rechecks.claimCompletion(id), "announced once");
        assertTrue(rechecks.claimCompletion(other), "the batch sharing the last hash is done with it");
    }
}
