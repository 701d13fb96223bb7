package com.vtbatchsearch.testing;

import com.vtbatchsearch.app.AppConfig;
import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.HashExtractor;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Starts whole applications (the same wiring as in a container) to play app instances in tests. */
public final class Instances {
    private Instances() {
    }

    /** Settings for an instance that talks to {@code vt} and keeps its data in {@code dataDir}. */
    public static Map<String, String> settings(FakeVirusTotal vt, Path dataDir, String... more) {
        Map<String, String> settings = new HashMap<>();
        settings.put("VT_API_KEY", FakeVirusTotal.API_KEY);
        settings.put("VT_BASE_URL", vt.baseUrl());
        settings.put("DATA_DIR", dataDir.toString());
        for (int i = 0; i + 1 < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    public static Application start(Map<String, String> settings) {
        return Application.start(AppConfig.from(settings), Clock.systemUTC());
    }

    public static ExtractedHashes hashes(List<String> hashes) {
        try {
            return new HashExtractor(1_000_000).read(new StringReader(String.join("\n", hashes))).result();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A distinct SHA-256 for each (seed, i). */
    public static String sha256(String seed, int i) {
        return String.format("%016x", seed.hashCode() & 0xffffffffL) + String.format("%048x", i);
    }

    public static BatchCounts counts(BatchService batches, String id) {
        return batches.report(id).orElseThrow().getCounts();
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    /** The largest number of calls in any window of {@code window} length. */
    public static int busiestWindow(List<Long> callTimes, Duration window) {
        List<Long> sorted = callTimes.stream().sorted().toList();
        int most = 0;
        int start = 0;
        for (int end = 0; end < sorted.size(); end++) {
            while (sorted.get(end) - sorted.get(start) >= window.toMillis()) {
                start++;
            }
            most = Math.max(most, end - start + 1);
        }
        return most;
    }
}
