package com.vtbatchsearch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.FakeVirusTotal;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load test: one instance of the app (the built WAR on embedded TomEE, in a JVM of its own) with
 * a fake VirusTotal, 50 uploaders posting hash lists to the API and 500 readers reading reports (page
 * and JSON) for 60 s. Prints requests/s, p50/p99 latency, 5xx answers, batches lost (created but not
 * readable with all their hashes at the end) and the server JVM's peak heap (sampled with jstat).
 *
 * <p>Arguments: the WAR, tomee.xml, the classpath of the server JVM. System properties: {@code uploaders}
 * (50), {@code readers} (500), {@code seconds} (60), {@code hashesPerUpload} (100), {@code serverXmx} (1g).
 * The per-client upload limits are raised for the run: every client here is 127.0.0.1.
 */
public final class LoadBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final List<String> ids = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> expectedUnique = new ConcurrentHashMap<>();
    private final AtomicLong serverErrors = new AtomicLong();
    private final AtomicLong otherFailures = new AtomicLong();
    private final AtomicLong uploadsRefused = new AtomicLong();
    private volatile boolean running = true;

    private LoadBenchmark(String base) {
        this.base = base;
    }

    public static void main(String[] args) throws Exception {
        int uploaders = Integer.getInteger("uploaders", 50);
        int readers = Integer.getInteger("readers", 500);
        int seconds = Integer.getInteger("seconds", 60);
        int hashesPerUpload = Integer.getInteger("hashesPerUpload", 100);
        String xmx = System.getProperty("serverXmx", "1g");
        Path dataDir = Files.createTempDirectory("vt-bench-");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (FakeVirusTotal vt = new FakeVirusTotal()) {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + xmx,
                    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                    "-Dport=" + port, "-DVT_API_KEY=" + FakeVirusTotal.API_KEY, "-DVT_BASE_URL=" + vt.baseUrl(),
                    "-DVT_REQUESTS_PER_MINUTE=1000000", "-DVT_REQUESTS_PER_DAY=1000000000",
                    "-DDATA_DIR=" + dataDir, "-DMAX_BATCHES_PER_HOUR_PER_CLIENT=1000000000",
                    "-DMAX_NEW_HASHES_PER_DAY_PER_CLIENT=1000000000",
                    "-cp", args[2], "com.vtbatchsearch.dev.DevServer", args[0], args[1]));
            Path log = dataDir.resolve("server.log");
            Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                LoadBenchmark bench = new LoadBenchmark("http://127.0.0.1:" + port);
                bench.awaitUp(server, log);
                HeapSampler heap = new HeapSampler(server.pid());
                heap.start();
                Result result = bench.run(uploaders, readers, seconds, hashesPerUpload);
                heap.stop();
                long lost = bench.lostBatches();
                print(result, bench, lost, heap, xmx, uploaders, readers, seconds, hashesPerUpload, vt.calls());
            } finally {
                server.destroy();
                if (!server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        }
    }

    private void awaitUp(Process server, Path log) throws Exception {
        awaitUp(client, base, server, log);
    }

    /** Waits until the server at {@code base} answers {@code /health} with 200; at most 3 minutes. */
    static void awaitUp(HttpClient client, String base, Process server, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the server stopped; see " + log);
            }
            try {
                HttpResponse<Void> health = client.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.discarding());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the server did not answer within 3 minutes; see " + log);
    }

    /** Latencies in microseconds of one kind of request, one growing array per thread. */
    private static final class Latencies {
        private final List<Recorder> recorders = new CopyOnWriteArrayList<>();

        Recorder register() {
            Recorder recorder = new Recorder();
            recorders.add(recorder);
            return recorder;
        }

        long[] all() {
            long[] out = recorders.stream().flatMapToLong(r -> Arrays.stream(r.times, 0, r.count)).toArray();
            Arrays.sort(out);
            return out;
        }
    }

    private static final class Recorder {
        private long[] times = new long[4096];
        private int count;

        void add(long micros) {
            if (count == times.length) {
                times = Arrays.copyOf(times, count * 2);
            }
            times[count++] = micros;
        }
    }

    private record Result(double seconds, long[] uploads, long[] reads) {
    }

    private Result run(int uploaders, int readers, int seconds, int hashesPerUpload) throws Exception {
        // a few batches so that readers have something to read from the first second
        for (int i = 0; i < 20; i++) {
            upload(hashesPerUpload);
        }
        Latencies uploadTimes = new Latencies();
        Latencies readTimes = new Latencies();
        CountDownLatch done = new CountDownLatch(uploaders + readers);
        long start = System.nanoTime();
        for (int i = 0; i < uploaders; i++) {
            Recorder times = uploadTimes.register();
            worker("uploader-" + i, done, () -> {
                while (running) {
                    long t = System.nanoTime();
                    upload(hashesPerUpload);
                    times.add((System.nanoTime() - t) / 1000);
                }
            });
        }
        for (int i = 0; i < readers; i++) {
            Recorder times = readTimes.register();
            boolean page = i % 2 == 0;
            worker("reader-" + i, done, () -> {
                while (running) {
                    String id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
                    long t = System.nanoTime();
                    HttpResponse<Void> response = send(HttpRequest.newBuilder(URI.create(base
                            + (page ? "/report/" : "/api/batches/") + id)).GET());
                    times.add((System.nanoTime() - t) / 1000);
                    if (response != null && response.statusCode() != 200) {
                        otherFailures.incrementAndGet();
                    }
                }
            });
        }
        Thread.sleep(seconds * 1000L);
        running = false;
        done.await();
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new Result(elapsed, uploadTimes.all(), readTimes.all());
    }

    private interface Body {
        void run() throws Exception;
    }

    private void worker(String name, CountDownLatch done, Body body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                System.err.println(name + " stopped: " + e);
            } finally {
                done.countDown();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void upload(int hashes) throws Exception {
        StringBuilder text = new StringBuilder("IOC list\r\n");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        java.util.Set<String> distinct = new java.util.HashSet<>();
        for (int i = 0; i < hashes; i++) {
            // a quarter from a small shared pool (answered from the cache), the rest new
            String hash = random.nextInt(4) == 0 ? String.format("%032x", random.nextInt(2_000))
                    : Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
            distinct.add(hash);
            text.append("hash: ").append(hash).append("\r\n");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/api/batches"))
                .header("Content-Type", "text/plain; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(text.toString(), StandardCharsets.UTF_8));
        HttpResponse<String> response = sendForBody(request);
        if (response == null) {
            return;
        }
        if (response.statusCode() == 201) {
            String id = JSON.readTree(response.body()).path("id").asText();
            expectedUnique.put(id, distinct.size());
            ids.add(id);
        } else if (response.statusCode() == 429) {
            uploadsRefused.incrementAndGet();
        } else {
            otherFailures.incrementAndGet();
        }
    }

    private HttpResponse<Void> send(HttpRequest.Builder request) {
        try {
            HttpResponse<Void> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() >= 500) {
                serverErrors.incrementAndGet();
            }
            return response;
        } catch (IOException e) {
            otherFailures.incrementAndGet();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private HttpResponse<String> sendForBody(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 500) {
                serverErrors.incrementAndGet();
            }
            return response;
        } catch (IOException e) {
            otherFailures.incrementAndGet();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Batches that were answered 201 but cannot be read back whole. */
    private long lostBatches() throws Exception {
        long lost = 0;
        for (Map.Entry<String, Integer> batch : expectedUnique.entrySet()) {
            HttpResponse<String> response = get("/api/batches/" + batch.getKey());
            JsonNode body = response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
            if (body == null || body.path("counts").path("unique").asInt() != batch.getValue()
                    || body.path("items").size() != batch.getValue()) {
                lost++;
            }
        }
        return lost;
    }

    /** Samples the server JVM's used heap with jstat every 200 ms. */
    private static final class HeapSampler {
        private final long pid;
        private final AtomicLong peakKb = new AtomicLong();
        private Process jstat;
        private Thread reader;

        HeapSampler(long pid) {
            this.pid = pid;
        }

        void start() throws IOException {
            String jstatPath = Path.of(System.getProperty("java.home"), "bin", "jstat").toString();
            jstat = new ProcessBuilder(new File(jstatPath).exists() ? jstatPath : "jstat", "-gc", String.valueOf(pid), "200")
                    .redirectErrorStream(true).start();
            reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(jstat.getInputStream()))) {
                    String header = lines.readLine();
                    List<String> columns = header == null ? List.of() : Arrays.asList(header.trim().split("\\s+"));
                    String line;
                    while ((line = lines.readLine()) != null) {
                        String[] values = line.trim().split("\\s+");
                        if (values.length != columns.size() || values[0].equals(columns.get(0))) {
                            continue;
                        }
                        double used = 0;
                        for (String column : List.of("S0U", "S1U", "EU", "OU")) {
                            used += Double.parseDouble(values[columns.indexOf(column)]);
                        }
                        long kb = (long) used;
                        peakKb.accumulateAndGet(kb, Math::max);
                    }
                } catch (IOException | RuntimeException e) {
                    // jstat was stopped at the end of the run
                }
            }, "jstat");
            reader.setDaemon(true);
            reader.start();
        }

        void stop() throws InterruptedException {
            jstat.destroy();
            reader.join(2_000);
            if (peakKb.get() == 0) {
                System.err.println("no heap samples: is jstat (a JDK tool) on this machine?");
            }
        }

        long peakMb() {
            return peakKb.get() / 1024;
        }
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static void print(Result r, LoadBenchmark bench, long lost, HeapSampler heap, String xmx,
            int uploaders, int readers, int seconds, int hashesPerUpload, int vtCalls) {
        long[] all = new long[r.uploads().length + r.reads().length];
        System.arraycopy(r.uploads(), 0, all, 0, r.uploads().length);
        System.arraycopy(r.reads(), 0, all, r.uploads().length, r.reads().length);
        Arrays.sort(all);
        System.out.println();
        System.out.printf("VT Batch Search load test: %d uploaders (%d hashes each), %d report readers, %d s, one instance, fake VirusTotal%n",
                uploaders, hashesPerUpload, readers, seconds);
        System.out.printf("requests:        %d in %.1f s = %.0f requests/s (uploads %.0f/s, reads %.0f/s)%n",
                all.length, r.seconds(), all.length / r.seconds(), r.uploads().length / r.seconds(), r.reads().length / r.seconds());
        System.out.printf("latency all:     p50 %.1f ms, p99 %.1f ms%n", percentile(all, .5) / 1000.0, percentile(all, .99) / 1000.0);
        System.out.printf("latency uploads: p50 %.1f ms, p99 %.1f ms%n", percentile(r.uploads(), .5) / 1000.0, percentile(r.uploads(), .99) / 1000.0);
        System.out.printf("latency reads:   p50 %.1f ms, p99 %.1f ms%n", percentile(r.reads(), .5) / 1000.0, percentile(r.reads(), .99) / 1000.0);
        System.out.printf("5xx answers:     %d%n", bench.serverErrors.get());
        System.out.printf("other failures:  %d (connection errors, unexpected statuses); uploads throttled (429): %d%n",
                bench.otherFailures.get(), bench.uploadsRefused.get());
        System.out.printf("batches:         %d created, %d lost%n", bench.expectedUnique.size(), lost);
        System.out.printf("VirusTotal:      %d lookups answered by the fake%n", vtCalls);
        System.out.printf("server heap:     peak %d MB used (-Xmx%s)%n", heap.peakMb(), xmx);
    }
}
