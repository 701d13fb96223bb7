package com.vtbatchsearch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.PostgresDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The report benchmark: what reading a report costs as its batch grows. Seeds a database with
 * VirusTotal answers the size of real ones (the real answers of {@code ../shared/vt-real}, else the copies
 * in {@code src/test/resources/vt-real}, each hash's ids put in), starts the built WAR on embedded TomEE in a
 * JVM of its own (lookups limited to one a day, so pending stays pending), uploads batches of 100, 10,000
 * and 100,000 hashes (half answered, half pending) and has 50 readers read each report's first JSON page
 * ({@code ?limit=100}) and its HTML page. Prints requests/s and p50/p99 per size, the 100,000-to-100
 * ratio, the upload time of the 100,000-hash file and the bytes on disk per cached answer.
 *
 * <p>Arguments: the WAR, tomee.xml, the server JVM's classpath. System properties: {@code engine}
 * ({@code sqlite} or {@code postgresql}), {@code readers} (50), {@code seconds} per measurement (10),
 * {@code warmup} seconds of unrecorded reads per page before the first figure (3).
 */
public final class ReportBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] SIZES = {100, 10_000, 100_000};
    private static final List<String> FILE_TYPES = List.of("Win32 EXE", "Win32 DLL", "PDF", "ZIP", "Android", "ELF");

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    private ReportBenchmark(String base) {
        this.base = base;
    }

    public static void main(String[] args) throws Exception {
        boolean postgres = "postgresql".equals(System.getProperty("engine", "sqlite"));
        int readers = Integer.getInteger("readers", 50);
        int seconds = Integer.getInteger("seconds", 10);
        Path dataDir = Files.createTempDirectory("vt-bench-report-");
        PostgresDatabase pg = postgres ? PostgresDatabase.create() : null;
        String dbUrl = postgres ? pg.jdbcUrl() : "jdbc:sqlite:" + dataDir.resolve("vt-batch-search.db");
        List<Template> templates = templates();

        System.out.printf("seeding %d answers the size of real ones...%n", Arrays.stream(SIZES).sum() / 2);
        long seeded;
        long bytesPerAnswer;
        try (Database database = Database.open(dbUrl, postgres ? PostgresDatabase.USER : null, null)) {
            long before = diskBytes(database, dataDir, postgres);
            seeded = seed(new LookupRepository(database), templates);
            bytesPerAnswer = (diskBytes(database, dataDir, postgres) - before) / seeded;
        }

        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (FakeVirusTotal vt = new FakeVirusTotal()) {
            vt.fallback(hash -> FakeVirusTotal.Reply.of(200, templates.get(0).answer("%064x".formatted(hash.hashCode()),
                    "%040x".formatted(hash.hashCode()), hash)));
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                    "-Dport=" + port, "-DVT_API_KEY=" + FakeVirusTotal.API_KEY, "-DVT_BASE_URL=" + vt.baseUrl(),
                    "-DVT_REQUESTS_PER_MINUTE=1", "-DVT_REQUESTS_PER_DAY=1", "-DDATA_DIR=" + dataDir,
                    "-DDB_URL=" + dbUrl, "-DMAX_BATCHES_PER_HOUR_PER_CLIENT=1000000000",
                    "-DMAX_NEW_HASHES_PER_DAY_PER_CLIENT=1000000000",
                    "-cp", args[2], "com.vtbatchsearch.dev.DevServer", args[0], args[1]));
            if (postgres) {
                command.add(command.indexOf("-cp"), "-DDB_USER=" + PostgresDatabase.USER);
            }
            Path log = dataDir.resolve("server.log");
            Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                ReportBenchmark bench = new ReportBenchmark("http://127.0.0.1:" + port);
                bench.awaitUp(server, log);
                bench.run(readers, seconds, postgres, bytesPerAnswer, seeded, dbUrl);
            } finally {
                server.destroy();
                if (!server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
                if (pg != null) {
                    pg.close();
                }
            }
        }
    }

    /** The hashes of a batch of {@code size}: the first half answered (seeded), the second half not. */
    private static String md5(int size, int n) {
        return "%08x%024x".formatted(size, n);
    }

    private record Template(String text, String sha256, String md5, String sha1, int malicious) {
        /** The real answer with these ids put in. */
        String answer(String newSha256, String newSha1, String newMd5) {
            return text.replace(sha256, newSha256).replace(sha1, newSha1).replace(md5, newMd5);
        }
    }

    private static List<Template> templates() throws IOException {
        Path shared = Path.of("../shared/vt-real");
        Path dir = Files.isDirectory(shared) ? shared : Path.of("src/test/resources/vt-real");
        List<Template> templates = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("file-")
                    && !f.getFileName().toString().contains("partial")
                    && !f.getFileName().toString().contains("data-only")).sorted().toList()) {
                String text = Files.readString(file);
                JsonNode attributes = JSON.readTree(text).path("data").path("attributes");
                templates.add(new Template(text, attributes.path("sha256").asText(), attributes.path("md5").asText(),
                        attributes.path("sha1").asText(), attributes.path("last_analysis_stats").path("malicious").asInt()));
            }
        }
        System.out.printf("answers from %s: %d real answers, %d–%d bytes%n", dir, templates.size(),
                templates.stream().mapToInt(t -> t.text().length()).min().orElse(0),
                templates.stream().mapToInt(t -> t.text().length()).max().orElse(0));
        return templates;
    }

    /** Stores an answer for the first half of every batch's hashes, as the workers would have; two threads. */
    private static long seed(LookupRepository lookups, List<Template> templates) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicLong count = new AtomicLong();
        List<Future<?>> parts = new ArrayList<>();
        for (int size : SIZES) {
            for (int part = 0; part < 2; part++) {
                int first = part;
                parts.add(pool.submit(() -> {
                    for (int n = first; n < size / 2; n += 2) {
                        Template t = templates.get(n % templates.size());
                        String md5 = md5(size, n);
                        long id = ((long) size << 24) + n;
                        String sha256 = "%064x".formatted(id);
                        FileReport report = new FileReport(sha256, md5, "%040x".formatted(id), t.malicious(), 0, 70,
                                0, t.malicious() > 0 ? "trojan.family" + n % 97 + "/bench" : null, "file-" + n + ".exe",
                                FILE_TYPES.get(n % FILE_TYPES.size()),
                                Instant.parse("2020-01-01T00:00:00Z").plusSeconds(60L * n), Instant.now(), 0, List.of("peexe"),
                                t.answer(sha256, "%040x".formatted(id), md5));
                        lookups.saveFound(md5, report, Instant.now());
                        count.incrementAndGet();
                    }
                    return null;
                }));
            }
        }
        for (Future<?> part : parts) {
            part.get();
        }
        pool.shutdown();
        return count.get();
    }

    /** What the database takes on disk: SQLite's file (WAL checkpointed), PostgreSQL's files table with its indexes. */
    private static long diskBytes(Database database, Path dataDir, boolean postgres) throws Exception {
        try (Connection c = database.connection(); Statement s = c.createStatement()) {
            if (postgres) {
                s.execute("CHECKPOINT");
                try (ResultSet r = s.executeQuery("SELECT pg_total_relation_size('files')")) {
                    r.next();
                    return r.getLong(1);
                }
            }
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        return Files.size(dataDir.resolve("vt-batch-search.db"));
    }

    private void run(int readers, int seconds, boolean postgres, long bytesPerAnswer, long seeded, String dbUrl)
            throws Exception {
        Map<Integer, String> ids = new LinkedHashMap<>();
        long uploadMillis = 0;
        long storedMillis = 0;
        for (int size : SIZES) {
            StringBuilder text = new StringBuilder(size * 34);
            for (int n = 0; n < size; n++) {
                text.append(md5(size, n)).append('\n');
            }
            long start = System.nanoTime();
            HttpResponse<String> created = client.send(HttpRequest.newBuilder(URI.create(base + "/api/batches"))
                    .header("Content-Type", "text/plain; charset=UTF-8").timeout(Duration.ofMinutes(2))
                    .POST(HttpRequest.BodyPublishers.ofString(text.toString(), StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
            uploadMillis = (System.nanoTime() - start) / 1_000_000;
            if (created.statusCode() != 201) {
                throw new IllegalStateException("upload of " + size + " hashes: " + created.statusCode() + " "
                        + created.body());
            }
            String id = JSON.readTree(created.body()).path("id").asText();
            ids.put(size, id);
            // A big upload is answered once kept and stored in the background: until then its batch answers 503.
            while (true) {
                HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
                        URI.create(base + "/api/batches/" + id + "?limit=1")).build(), HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200) {
                    break;
                }
                if (answer.statusCode() != 503) {
                    throw new IllegalStateException("batch of " + size + " hashes: " + answer.statusCode() + " " + answer.body());
                }
                Thread.sleep(20);
            }
            storedMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("upload of %,d hashes: answered after %d ms, its report readable after %d ms%n", size,
                    uploadMillis, storedMillis);
        }
        // Optionally let the database settle first (PostgreSQL's autovacuum analyzes the new rows within a
        // minute or so; until then its planner misjudges a text filter on them).
        Thread.sleep(1000L * Integer.getInteger("settleSeconds", 0));
        if (postgres && Boolean.getBoolean("analyze")) {
            // As autovacuum does in a running database: the planner's statistics of the new rows.
            try (Connection c = java.sql.DriverManager.getConnection(dbUrl, PostgresDatabase.USER, null);
                    Statement s = c.createStatement()) {
                s.execute("ANALYZE");
            }
        }
        Map<String, double[]> pages = pageLatencies(ids.get(SIZES[SIZES.length - 1]));
        if (Boolean.getBoolean("pagesOnly")) {
            printPages(pages, postgres);
            System.out.printf("upload of 100,000:     %d ms to the answer with the report URL, %d ms until the report"
                    + " reads%n", uploadMillis, storedMillis);
            return;
        }
        // Unrecorded: the server's JIT compiles the read path before the first figure, not during it.
        for (int size : SIZES) {
            measure("/api/batches/" + ids.get(size) + "?limit=100", readers, Integer.getInteger("warmup", 3));
            measure("/report/" + ids.get(size), readers, Integer.getInteger("warmup", 3));
        }
        Map<String, double[]> figures = new LinkedHashMap<>();
        for (int size : SIZES) {
            String id = ids.get(size);
            JsonNode counts = JSON.readTree(get("/api/batches/" + id + "?limit=1").body()).path("counts");
            System.out.printf("batch of %,d: %d done, %d pending%n", size, counts.path("done").asInt(),
                    counts.path("pending").asInt());
            figures.put("json " + size, measure("/api/batches/" + id + "?limit=100", readers, seconds));
            figures.put("html " + size, measure("/report/" + id, readers, seconds));
        }
        System.out.println();
        System.out.printf("VT Batch Search report benchmark: one instance on %s, %d readers, %d s per figure%n",
                postgres ? "PostgreSQL" : "SQLite", readers, seconds);
        System.out.printf("%-22s %12s %10s %10s%n", "", "requests/s", "p50 ms", "p99 ms");
        for (Map.Entry<String, double[]> f : figures.entrySet()) {
            System.out.printf("%-22s %12.0f %10.1f %10.1f%n", f.getKey().replace("json", "JSON first page")
                    .replace("html", "HTML page      "), f.getValue()[0], f.getValue()[1], f.getValue()[2]);
        }
        System.out.printf("ratio 100,000 / 100:   JSON %.2f, HTML %.2f (requests/s)%n",
                figures.get("json 100000")[0] / figures.get("json 100")[0],
                figures.get("html 100000")[0] / figures.get("html 100")[0]);
        System.out.printf("upload of 100,000:     %d ms to the answer with the report URL, %d ms until the report"
                    + " reads%n", uploadMillis, storedMillis);
        printPages(pages, postgres);
        System.out.printf("disk per answer:       %,d bytes (%,d answers seeded, %s)%n", bytesPerAnswer, seeded,
                postgres ? "files table with its indexes and TOAST" : "growth of the database file");
    }

    /** The first JSON page of every sort, both ways, and of every filter, of the batch {@code id}. */
    private static List<String> pageQueries() {
        List<String> queries = new ArrayList<>();
        for (String sort : List.of("position", "hash", "type", "verdict", "detections", "label", "name", "fileType",
                "firstSeen")) {
            queries.add("sort=" + sort + "&dir=asc");
            queries.add("sort=" + sort + "&dir=desc");
        }
        for (String verdict : List.of("malicious", "suspicious", "clean", "not_found", "error", "pending")) {
            queries.add("verdict=" + verdict);
        }
        queries.add("q=file-"); // the name of every answered hash: half the batch
        queries.add("q=no-such-text"); // nothing
        queries.add("q=trojan&sort=detections&dir=desc");
        queries.add("verdict=malicious&sort=detections&dir=desc");
        queries.add("verdict=pending&sort=hash&dir=asc");
        return queries;
    }

    /**
     * Sequential requests (one at a time, {@code pageRequests} each, 20 by default, after 3 unrecorded) of the
     * first JSON page ({@code limit=100}) of each sort and filter: p50 and p99 in ms, and the rows matched.
     */
    private Map<String, double[]> pageLatencies(String id) throws Exception {
        int requests = Integer.getInteger("pageRequests", 20);
        Map<String, double[]> figures = new LinkedHashMap<>();
        for (String query : pageQueries()) {
            String path = "/api/batches/" + id + "?limit=100&" + query;
            for (int n = 0; n < 3; n++) {
                get(path);
            }
            long[] times = new long[requests];
            int matched = -1;
            for (int n = 0; n < requests; n++) {
                long t = System.nanoTime();
                HttpResponse<String> response = get(path);
                times[n] = System.nanoTime() - t;
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(path + ": " + response.statusCode() + " " + response.body());
                }
                if (n == 0) {
                    matched = JSON.readTree(response.body()).path("matched").asInt(-1);
                }
            }
            Arrays.sort(times);
            figures.put(query, new double[] {percentile(times, .5) / 1e6, percentile(times, .99) / 1e6, matched});
        }
        return figures;
    }

    private static void printPages(Map<String, double[]> pages, boolean postgres) {
        System.out.printf("first JSON page (limit=100) of the 100,000-hash report on %s, sequential requests:%n",
                postgres ? "PostgreSQL" : "SQLite");
        System.out.printf("  %-44s %8s %8s %8s%n", "query", "p50 ms", "p99 ms", "matched");
        for (Map.Entry<String, double[]> p : pages.entrySet()) {
            System.out.printf("  %-44s %8.1f %8.1f %8.0f%n", p.getKey(), p.getValue()[0], p.getValue()[1],
                    p.getValue()[2]);
        }
    }

    /** {@code readers} threads reading {@code path} for {@code seconds}: requests/s, p50 and p99 in ms. */
    private double[] measure(String path, int readers, int seconds) throws Exception {
        get(path); // warm
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Future<long[]>> threads = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(readers);
        AtomicLong failures = new AtomicLong();
        for (int r = 0; r < readers; r++) {
            threads.add(pool.submit(() -> {
                long[] times = new long[1024];
                int n = 0;
                while (System.nanoTime() < end) {
                    long t = System.nanoTime();
                    HttpResponse<String> response = get(path);
                    if (response.statusCode() != 200) {
                        failures.incrementAndGet();
                    }
                    if (n == times.length) {
                        times = Arrays.copyOf(times, n * 2);
                    }
                    times[n++] = System.nanoTime() - t;
                }
                return Arrays.copyOf(times, n);
            }));
        }
        long[] all = new long[0];
        for (Future<long[]> f : threads) {
            long[] t = f.get();
            long[] merged = Arrays.copyOf(all, all.length + t.length);
            System.arraycopy(t, 0, merged, all.length, t.length);
            all = merged;
        }
        pool.shutdown();
        Arrays.sort(all);
        if (failures.get() > 0) {
            System.err.println(path + ": " + failures.get() + " answers other than 200");
        }
        return new double[] {all.length / (double) seconds, percentile(all, .5) / 1e6, percentile(all, .99) / 1e6};
    }

    private static long percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitUp(Process server, Path log) throws Exception {
        LoadBenchmark.awaitUp(client, base, server, log);
    }
}
