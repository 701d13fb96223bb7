package com.vtbatchsearch.bench;

import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.RedisProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How well the quota is spent. Two app instances with two workers each share one Redis (queue and
 * rate limit) and one database, against a fake VirusTotal on loopback that enforces the same
 * per-minute limit (answering 429 beyond it) and takes {@code latencyMs} per answer. A large batch
 * keeps the limit saturated for the measured window; it holds duplicates, hashes already cached and
 * other names (md5) of cached files, none of which may cost a call. A small batch arrives 20 s in.
 *
 * <p>Prints: lookups per minute achieved ÷ configured limit over the window, 429s received, calls ÷
 * distinct uncached files, and the small batch's completion time. Arguments: limit per minute
 * (default 600), window in minutes (default 3), latency in ms (default 50).
 */
public final class QuotaBenchmark {
    private QuotaBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int limit = args.length > 0 ? Integer.parseInt(args[0]) : 600;
        int windowMinutes = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int latencyMs = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Path data = Files.createTempDirectory("vt-quota-bench");
        try (FakeVirusTotal vt = new FakeVirusTotal(); RedisProcess redis = RedisProcess.start()) {
            vt.perMinuteLimit(limit).fallback(hash -> vt.knownFile(hash).after(Duration.ofMillis(latencyMs)));
            Map<String, String> settings = Instances.settings(vt, data, "REDIS_URL", redis.url(),
                    "VT_REQUESTS_PER_MINUTE", String.valueOf(limit), "VT_REQUESTS_PER_DAY", "1000000",
                    "VT_WORKERS", "2");
            try (Application a = Instances.start(settings); Application b = Instances.start(settings)) {
                run(vt, a.batches(), b.batches(), limit, windowMinutes);
            }
        }
    }

    private static void run(FakeVirusTotal vt, BatchService a, BatchService b, int limit, int windowMinutes)
            throws InterruptedException {
        // Warm the cache with 100 files; their calls fall outside the measurement.
        List<String> cached = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            cached.add(Instances.sha256("cached", i));
        }
        String warm = a.submit(Instances.hashes(cached)).id();
        Instances.await("cache warm", Duration.ofMinutes(2), () -> Instances.counts(a, warm).getPending() == 0);
        Thread.sleep(61_000); // let the warm-up calls leave the 60 s window
        int baseline = vt.calls();

        int uncached = limit * windowMinutes + limit / 10;
        List<String> large = new ArrayList<>();
        for (int i = 0; i < uncached; i++) {
            large.add(Instances.sha256("large", i));
            if (i % 10 == 0) {
                large.add(Instances.sha256("large", i / 2)); // a duplicate
            }
            if (i % 20 == 0) {
                large.add(cached.get(i % cached.size())); // already cached
                large.add(FakeVirusTotal.derivedMd5(cached.get((i / 20) % cached.size()))); // another name of a cached file
            }
        }
        Instant submitted = Instant.now();
        String largeId = a.submit(Instances.hashes(large)).id();
        Instances.await("first call", Duration.ofMinutes(1), () -> vt.calls() > baseline);
        long t0 = vt.callTimes().get(baseline);

        Thread.sleep(20_000);
        List<String> small = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            small.add(Instances.sha256("small", i));
        }
        Instant smallAt = Instant.now();
        String smallId = b.submit(Instances.hashes(small)).id();
        Instances.await("small batch", Duration.ofMinutes(5), () -> Instances.counts(b, smallId).getPending() == 0);
        Duration smallTook = Duration.between(smallAt, Instant.now());

        long windowEnd = t0 + windowMinutes * 60_000L;
        while (System.currentTimeMillis() < windowEnd + 1_000) {
            Thread.sleep(500);
        }
        List<Long> times = vt.callTimes().subList(baseline, vt.calls());
        long inWindow = times.stream().filter(t -> t >= t0 && t < windowEnd).count();
        Instances.await("large batch", Duration.ofMinutes(3), () -> Instances.counts(a, largeId).getPending() == 0);
        int calls = vt.calls() - baseline;
        int distinctUncached = uncached + small.size();

        System.out.println();
        System.out.printf("configured limit             %d lookups/min, 2 instances x 2 workers, shared Redis%n", limit);
        System.out.printf("window                       %d min from the first call%n", windowMinutes);
        System.out.printf("lookups/min achieved / limit %.3f  (%d calls in the window, limit x minutes = %d)%n",
                (double) inWindow / (limit * windowMinutes), inWindow, limit * windowMinutes);
        System.out.printf("429s received                %d%n", vt.rateLimitedCalls());
        System.out.printf("calls / distinct uncached    %.3f  (%d calls, %d distinct uncached files; the upload "
                + "held %d lines with duplicates, cached hashes and md5s of cached files)%n",
                (double) calls / distinctUncached, calls, distinctUncached, large.size() + small.size());
        System.out.printf("busiest 60 s window          %d calls%n", Instances.busiestWindow(times, Duration.ofSeconds(60)));
        System.out.printf("small batch (10) behind large (%d): done %.1f s after submission%n", uncached,
                smallTook.toMillis() / 1000.0);
        System.out.printf("large batch done             %.1f s after submission%n",
                Duration.between(submitted, Instant.now()).toMillis() / 1000.0);
    }
}
