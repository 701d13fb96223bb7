package com.vtbatchsearch.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A stand-in for VirusTotal API v3 on loopback: {@code GET /api/v3/files/{hash}} answers in the real
 * shapes (200 file object, 404 NotFoundError, 401 WrongCredentialsError, 429 QuotaExceededError, 5xx),
 * counts every call, and can enforce a per-minute limit the way VirusTotal does. By default every hash
 * is a known file whose other two hashes are derived from it; {@link #script} overrides one hash's answers.
 * {@code GET /api/v3/users/{key}/overall_quotas} answers the key's hourly, daily and monthly counts from
 * the fake's own counters: every answered lookup counts, on top of what {@link #usedByOthers} says other
 * tools spent; beyond an allowance set with {@link #allowance} lookups draw 429 QuotaExceededError.
 */
public final class FakeVirusTotal implements AutoCloseable {
    public static final String API_KEY = "test-key-0123456789";

    /** One scripted answer; status 0 drops the connection without an answer. */
    public record Reply(int status, String body, Duration delay) {
        public static Reply of(int status, String body) {
            return new Reply(status, body, Duration.ZERO);
        }

        /** The connection is closed without a response, as by a reset. */
        public static Reply reset() {
            return new Reply(0, "", Duration.ZERO);
        }

        public Reply after(Duration wait) {
            return new Reply(status, body, wait);
        }
    }

    private final HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger rateLimited = new AtomicInteger();
    private final Map<String, AtomicInteger> callsPerHash = new ConcurrentHashMap<>();
    private final Map<String, Deque<Reply>> scripts = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Long> callTimes = new ConcurrentLinkedQueue<>();
    private final Deque<Long> window = new ArrayDeque<>();
    private volatile Function<String, Reply> fallback = this::knownFile;
    private volatile int perMinuteLimit = Integer.MAX_VALUE;
    private volatile long hourlyAllowed = NO_CAP;
    private volatile long dailyAllowed = NO_CAP;
    private volatile long monthlyAllowed = NO_CAP;
    private final AtomicInteger hourlyUsed = new AtomicInteger();
    private final AtomicInteger dailyUsed = new AtomicInteger();
    private final AtomicInteger monthlyUsed = new AtomicInteger();
    private final AtomicInteger quotaCalls = new AtomicInteger();
    private volatile Reply quotaReply;
    private volatile Long retryAfterSeconds;

    /** VirusTotal's "no cap of the user's own". */
    public static final long NO_CAP = 1_000_000_000L;

    static {
        // Without it the JDK server's separate header and body writes meet delayed ACKs: ~40 ms a call.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    public FakeVirusTotal() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/api/v3/files/", this::handle);
        server.createContext("/api/v3/users/", this::handleQuota);
        server.start();
    }

    /** A started fake, for static fields (no checked exception). */
    public static FakeVirusTotal start() {
        try {
            return new FakeVirusTotal();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The base URL to configure as VT_BASE_URL. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v3";
    }

    /** Answers for {@code hash}, in order, before the fallback takes over. */
    public FakeVirusTotal script(String hash, Reply... replies) {
        scripts.computeIfAbsent(hash, h -> new ArrayDeque<>()).addAll(List.of(replies));
        return this;
    }

    /** How hashes without a script are answered; by default, as a known file. */
    public FakeVirusTotal fallback(Function<String, Reply> fallback) {
        this.fallback = fallback;
        return this;
    }

    /** Answers 429 QuotaExceededError beyond {@code limit} calls in any 60 s, as VirusTotal does. */
    public FakeVirusTotal perMinuteLimit(int limit) {
        this.perMinuteLimit = limit;
        return this;
    }

    /** The key's allowances, as overall_quotas reports them; {@link #NO_CAP} for none. */
    public FakeVirusTotal allowance(long hourly, long daily, long monthly) {
        this.hourlyAllowed = hourly;
        this.dailyAllowed = daily;
        this.monthlyAllowed = monthly;
        return this;
    }

    /** Requests other tools made with the key this hour, today and this month. */
    public FakeVirusTotal usedByOthers(int hourly, int daily, int monthly) {
        hourlyUsed.addAndGet(hourly);
        dailyUsed.addAndGet(daily);
        monthlyUsed.addAndGet(monthly);
        return this;
    }

    /** Answers overall_quotas with {@code reply} instead of the counts (a 404, a proxy's HTML page). */
    public FakeVirusTotal quotaAnswer(Reply reply) {
        this.quotaReply = reply;
        return this;
    }

    /** Sends {@code Retry-After: seconds} with every 429. */
    public FakeVirusTotal retryAfter(long seconds) {
        this.retryAfterSeconds = seconds;
        return this;
    }

    public int quotaCalls() {
        return quotaCalls.get();
    }

    public int dailyUsed() {
        return dailyUsed.get();
    }

    public int calls() {
        return calls.get();
    }

    public int calls(String hash) {
        AtomicInteger n = callsPerHash.get(hash);
        return n == null ? 0 : n.get();
    }

    public int rateLimitedCalls() {
        return rateLimited.get();
    }

    public Map<String, Integer> callsPerHash() {
        Map<String, Integer> copy = new ConcurrentHashMap<>();
        callsPerHash.forEach((h, n) -> copy.put(h, n.get()));
        return copy;
    }

    /** Epoch millis of every call received, in arrival order. */
    public List<Long> callTimes() {
        return Collections.unmodifiableList(new ArrayList<>(callTimes));
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            long now = System.currentTimeMillis();
            calls.incrementAndGet();
            callTimes.add(now);
            String hash = exchange.getRequestURI().getPath().substring("/api/v3/files/".length()).toLowerCase();
            callsPerHash.computeIfAbsent(hash, h -> new AtomicInteger()).incrementAndGet();
            Reply reply;
            if (!API_KEY.equals(exchange.getRequestHeaders().getFirst("x-apikey"))) {
                reply = error(401, "WrongCredentialsError", "Wrong API key");
            } else if (!withinLimit(now) || !withinAllowance()) {
                rateLimited.incrementAndGet();
                reply = error(429, "QuotaExceededError", "Quota exceeded");
                if (retryAfterSeconds != null) {
                    exchange.getResponseHeaders().set("Retry-After", String.valueOf(retryAfterSeconds));
                }
            } else {
                Deque<Reply> script = scripts.get(hash);
                Reply scripted = script == null ? null : script.pollFirst();
                reply = scripted != null ? scripted : fallback.apply(hash);
            }
            send(exchange, reply, "application/json");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handleQuota(HttpExchange exchange) throws IOException {
        try (exchange) {
            quotaCalls.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            Reply reply;
            if (!API_KEY.equals(exchange.getRequestHeaders().getFirst("x-apikey"))) {
                reply = error(401, "WrongCredentialsError", "Wrong API key");
            } else if (quotaReply != null) {
                reply = quotaReply;
            } else if (!path.equals("/api/v3/users/" + API_KEY + "/overall_quotas")) {
                reply = error(404, "NotFoundError", "User not found");
            } else {
                reply = Reply.of(200, """
                        {"data": {"api_requests_hourly": {"user": {"allowed": %d, "used": %d}},
                          "api_requests_daily": {"user": {"allowed": %d, "used": %d}},
                          "api_requests_monthly": {"user": {"allowed": %d, "used": %d}},
                          "cases_creation_monthly": {"user": {"allowed": 0, "used": 0}}}}"""
                        .formatted(hourlyAllowed, hourlyUsed.get(), dailyAllowed, dailyUsed.get(), monthlyAllowed,
                                monthlyUsed.get()));
            }
            send(exchange, reply, reply.body().startsWith("<") ? "text/html" : "application/json");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counts an answered lookup in the quotas, unless an allowance is spent. */
    private synchronized boolean withinAllowance() {
        if (hourlyUsed.get() >= hourlyAllowed || dailyUsed.get() >= dailyAllowed
                || monthlyUsed.get() >= monthlyAllowed) {
            return false;
        }
        hourlyUsed.incrementAndGet();
        dailyUsed.incrementAndGet();
        monthlyUsed.incrementAndGet();
        return true;
    }

    private static void send(HttpExchange exchange, Reply reply, String contentType)
            throws IOException, InterruptedException {
        if (!reply.delay().isZero()) {
            Thread.sleep(reply.delay().toMillis());
        }
        if (reply.status() == 0) {
            return; // closing the exchange without headers drops the connection
        }
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private synchronized boolean withinLimit(long now) {
        while (!window.isEmpty() && window.peekFirst() <= now - 60_000) {
            window.removeFirst();
        }
        if (window.size() >= perMinuteLimit) {
            return false;
        }
        window.addLast(now);
        return true;
    }

    /** A known file: the queried hash is one of its hashes, the other two are derived from it. */
    public Reply knownFile(String hash) {
        String md5 = hash.length() == 32 ? hash : derive("MD5", hash);
        String sha1 = hash.length() == 40 ? hash : derive("SHA-1", hash);
        String sha256 = hash.length() == 64 ? hash : derive("SHA-256", hash);
        int malicious = Character.digit(hash.charAt(0), 16) % 4 == 0 ? 0 : Character.digit(hash.charAt(1), 16) + 1;
        return Reply.of(200, fileJson(sha256, md5, sha1, malicious, "trojan.fake/" + hash.substring(0, 6),
                "sample-" + hash.substring(0, 8) + ".exe"));
    }

    /** The md5 the default answer gives for the file with this SHA-256 (or SHA-1). */
    public static String derivedMd5(String hash) {
        return derive("MD5", hash);
    }

    /**
     * A file object: {@code malicious} engines flag it (the first with {@code label} as its result), one
     * finds it suspicious, two more see nothing; it is known by {@code name} and one more name.
     */
    public static String fileJson(String sha256, String md5, String sha1, int malicious, String label, String name) {
        StringBuilder results = new StringBuilder();
        for (int i = 1; i <= malicious; i++) {
            results.append("\"Engine%02d\": {\"category\": \"malicious\", \"engine_name\": \"Engine%02d\", \"result\": %s}, "
                    .formatted(i, i, quote(i == 1 ? label : "Trojan.Generic-" + i)));
        }
        results.append("\"Heuristix\": {\"category\": \"suspicious\", \"engine_name\": \"Heuristix\", \"result\": \"Suspicious.Packed\"}, ");
        results.append("\"CleanAV\": {\"category\": \"undetected\", \"engine_name\": \"CleanAV\", \"result\": null}, ");
        results.append("\"OldAV\": {\"category\": \"type-unsupported\", \"engine_name\": \"OldAV\", \"result\": null}");
        String names = name == null ? "" : quote(name) + ", " + quote("copy of " + name);
        return """
                {"data": {"type": "file", "id": "%s", "links": {"self": "https://www.virustotal.com/api/v3/files/%s"},
                  "attributes": {"md5": "%s", "sha1": "%s", "sha256": "%s",
                    "last_analysis_stats": {"malicious": %d, "suspicious": 1, "undetected": %d, "harmless": 0,
                      "timeout": 0, "confirmed-timeout": 0, "failure": 0, "type-unsupported": 4},
                    "last_analysis_results": {%s},
                    "meaningful_name": %s, "type_description": "Win32 EXE",
                    "popular_threat_classification": {"suggested_threat_label": %s},
                    "first_submission_date": 1500000000, "last_analysis_date": 1700000000,
                    "reputation": -12, "tags": ["peexe", "overlay"], "names": [%s]}}}"""
                .formatted(sha256, sha256, md5, sha1, sha256, malicious, 70 - malicious - 1, results, quote(name),
                        quote(label), names);
    }

    public static Reply notFound(String hash) {
        return error(404, "NotFoundError", "File \"" + hash + "\" not found");
    }

    public static Reply error(int status, String code, String message) {
        return Reply.of(status, "{\"error\": {\"code\": \"" + code + "\", \"message\": \"" + message.replace("\"", "\\\"")
                + "\"}}");
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\r", "\\r")
                .replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }

    private static String derive(String algorithm, String hash) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm)
                    .digest(("file:" + hash).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
