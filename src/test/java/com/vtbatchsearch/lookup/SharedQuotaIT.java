package com.vtbatchsearch.lookup;

import static com.vtbatchsearch.testing.Instances.await;
import static com.vtbatchsearch.testing.Instances.counts;
import static com.vtbatchsearch.testing.Instances.hashes;
import static com.vtbatchsearch.testing.Instances.settings;
import static com.vtbatchsearch.testing.Instances.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole app instances (the container's wiring, without the container) sharing one Redis and one
 * database, against a fake VirusTotal that enforces its own per-minute limit and answers 429 beyond it.
 */
class SharedQuotaIT {
    @TempDir
    Path dataDir;

    private FakeVirusTotal vt;
    private RedisProcess redis;
    private final List<Application> apps = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vt = new FakeVirusTotal();
        redis = RedisProcess.start();
    }

    @AfterEach
    void stop() {
        Collections.reverse(apps);
        apps.forEach(Application::close);
        redis.close();
        vt.close();
    }

    private Application instance(String... settings) {
        Application app = Instances.start(settings(vt, dataDir, concat(settings, "REDIS_URL", redis.url())));
        apps.add(app);
        return app;
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void twoInstancesSharingOneKeyStayWithinTheLimitAndPayOnceForEachFile() throws Exception {
        vt.perMinuteLimit(120);
        Application a = instance("VT_REQUESTS_PER_MINUTE", "120", "VT_WORKERS", "2");
        Application b = instance("VT_REQUESTS_PER_MINUTE", "120", "VT_WORKERS", "2");

        List<String> first = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            first.add(sha256("first", i));
        }
        String firstId = a.batches().submit(hashes(first)).id();
        await("the first 50 answered", Duration.ofSeconds(30),
                () -> b.batches().report(firstId).orElseThrow().getItems().subList(0, 50).stream()
                        .allMatch(item -> item.getStatus().equals("done")));

        // Another analyst, on the other instance: 50 hashes shared with the first batch, the md5 of 50
        // files already answered (known by another name), and 50 new ones.
        List<String> second = new ArrayList<>(first.subList(100, 150));
        for (int i = 0; i < 50; i++) {
            second.add(FakeVirusTotal.derivedMd5(first.get(i)));
            second.add(sha256("second", i));
        }
        String secondId = b.batches().submit(hashes(second)).id();

        await("both batches done", Duration.ofSeconds(150),
                () -> counts(a.batches(), firstId).getPending() == 0 && counts(b.batches(), secondId).getPending() == 0);

        assertEquals(150, counts(b.batches(), firstId).getDone(), "the first batch, read from the other instance");
        assertEquals(150, counts(a.batches(), secondId).getDone());
        assertEquals(0, vt.rateLimitedCalls(), "no 429 from VirusTotal");
        int busiest = Instances.busiestWindow(vt.callTimes(), Duration.ofSeconds(60));
        assertTrue(busiest <= 120, "calls in the busiest 60 s: " + busiest);
        assertEquals(200, vt.calls(), "calls = distinct files not in cache (150 + 50 new)");
        assertEquals(1, Collections.max(vt.callsPerHash().values()), "no hash asked twice");
        System.out.printf("shared limit: %d calls, busiest 60 s window %d (limit 120), 429s %d%n",
                vt.calls(), busiest, vt.rateLimitedCalls());
    }

    @Test
    void redisLostAndWorkerStoppedMidBatchLoseNothingAndPayAtMostOneRetry() throws Exception {
        for (int i = 0; i < 400; i++) {
            vt.script(sha256("crash", i), vt.knownFile(sha256("crash", i)).after(Duration.ofMillis(15)));
        }
        String slow = sha256("crash", 250);
        vt.script(slow, vt.knownFile(slow).after(Duration.ofSeconds(3)));
        Application a = instance("VT_REQUESTS_PER_MINUTE", "6000", "VT_WORKERS", "2");
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            all.add(sha256("crash", i));
        }
        String id = a.batches().submit(hashes(all)).id();

        await("100 answered", Duration.ofSeconds(60), () -> counts(a.batches(), id).getDone() >= 100);
        redis.stop();
        Thread.sleep(1_000);
        redis.restart(); // empty: the queue and the shared limit are gone
        await("the slow lookup in flight", Duration.ofSeconds(120), () -> vt.calls(slow) >= 1);
        a.close(); // graceful stop while the slow lookup is in flight
        apps.remove(a);

        Application b = instance("VT_REQUESTS_PER_MINUTE", "6000", "VT_WORKERS", "2");
        await("all answered", Duration.ofSeconds(120), () -> counts(b.batches(), id).getPending() == 0);

        assertEquals(400, counts(b.batches(), id).getDone());
        assertEquals(0, counts(b.batches(), id).getErrors());
        Map<String, Integer> calls = vt.callsPerHash();
        assertEquals(400, calls.size(), "every hash was asked about");
        long twice = calls.values().stream().filter(n -> n == 2).count();
        assertTrue(Collections.max(calls.values()) <= 2, "no hash asked more than twice: " + calls);
        assertTrue(twice <= 4, "only lookups in flight at the Redis loss or the stop are repeated: " + twice);
        await("the batch left the queue", Duration.ofSeconds(10), () -> b.queue().size() == 0);
        System.out.printf("crash safety: %d calls for 400 hashes, %d repeated%n", vt.calls(), twice);
    }

    @Test
    void aSmallBatchFinishesWithinItsShareBehindALargeOne() throws Exception {
        // The call count when the small batch's last hash was asked for: reports count a batch at most once
        // a second, so the count read once the report says done also holds the calls of that second.
        Set<String> smallHashes = ConcurrentHashMap.newKeySet();
        AtomicInteger lastSmallCall = new AtomicInteger();
        vt.fallback(hash -> {
            if (smallHashes.contains(hash)) {
                lastSmallCall.accumulateAndGet(vt.calls(), Math::max);
            }
            return vt.knownFile(hash).after(Duration.ofMillis(10));
        });
        Application a = instance("VT_REQUESTS_PER_MINUTE", "6000", "VT_WORKERS", "2");
        List<String> large = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            large.add(sha256("large", i));
        }
        String largeId = a.batches().submit(hashes(large)).id();
        await("the large batch under way", Duration.ofSeconds(30), () -> counts(a.batches(), largeId).getDone() >= 50);

        List<String> small = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            small.add(sha256("small", i));
        }
        smallHashes.addAll(small);
        int callsBefore = vt.calls();
        Instant submitted = Instant.now();
        String smallId = a.batches().submit(hashes(small)).id();
        await("the small batch done", Duration.ofSeconds(30), () -> counts(a.batches(), smallId).getPending() == 0);
        int callsMeanwhile = lastSmallCall.get() - callsBefore;

        // Two batches take turns: about two calls per small-batch hash, plus the lookups in flight.
        assertTrue(callsMeanwhile <= 3 * small.size(),
                "the small batch took its turns: " + callsMeanwhile + " calls until it was done");
        assertTrue(counts(a.batches(), largeId).getPending() > 0, "the large batch was still running");
        System.out.printf("fair share: small batch of 10 done after %d calls, %d ms%n", callsMeanwhile,
                Duration.between(submitted, Instant.now()).toMillis());
    }
}
