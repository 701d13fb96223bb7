package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.LookupStatus;
import com.vtbatchsearch.lookup.LookupWorker;
import com.vtbatchsearch.lookup.QuotaMeter;
import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.queue.LookupQueue;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /health}: the state of the database, the queue (Redis or embedded), the workers and the
 * lookup quota as JSON; 503, naming what is down, when the app cannot store uploads, queue lookups or
 * look them up. Under {@code lookups.quota}, the key's budget: this minute's and today's lookups against
 * the limits in force and, when VirusTotal's own counts are known, its hour, month, the lookups of other
 * tools sharing the key and whether it looks like a public or a premium key. App Service's health check and load balancers read the status. A spent quota or a
 * rejected key shows under {@code lookups} but is no reason to replace the instance: still 200.
 */
public final class HealthServlet extends HttpServlet {
    private final String databaseKind;
    private final BooleanSupplier databaseHealthy;
    private final LookupQueue queue;
    private final LookupStatus status;
    private final RateLimiter limiter;
    private final List<LookupWorker> workers;
    private final String workerExecutor;
    private final ObjectMapper json;

    /**
     * @param databaseKind    postgresql or sqlite
     * @param databaseHealthy answers whether the database takes queries now
     * @param limiter        null when no API key is configured
     * @param workerExecutor what the workers run on: managed, own, or none without an API key
     */
    public HealthServlet(String databaseKind, BooleanSupplier databaseHealthy, LookupQueue queue, LookupStatus status, RateLimiter limiter,
            List<LookupWorker> workers, String workerExecutor, ObjectMapper json) {
        this.databaseKind = databaseKind;
        this.databaseHealthy = databaseHealthy;
        this.queue = queue;
        this.status = status;
        this.limiter = limiter;
        this.workers = workers;
        this.workerExecutor = workerExecutor;
        this.json = json;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        List<String> down = new ArrayList<>();
        boolean databaseUp = databaseHealthy.getAsBoolean();
        if (!databaseUp) {
            down.add("database");
        }
        Map<String, Object> databaseState = new LinkedHashMap<>();
        databaseState.put("kind", databaseKind);
        databaseState.put("up", databaseUp);

        Map<String, Object> queueState = new LinkedHashMap<>();
        queueState.put("kind", kindOf(queue.describe()));
        try {
            // One place per batch with work: the queue's length is the number of batches waiting for a turn.
            long length = queue.size();
            queueState.put("length", length);
            queueState.put("batches", length);
            queueState.put("up", true);
        } catch (RuntimeException e) {
            queueState.put("up", false);
            down.add("queue");
        }

        long running = workers.stream().filter(LookupWorker::isRunning).count();
        if (running < workers.size()) {
            down.add("worker");
        }
        Map<String, Object> workerState = new LinkedHashMap<>();
        workerState.put("executor", workerExecutor);
        workerState.put("workers", workers.size());
        workerState.put("running", running);

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", down.isEmpty() ? "up" : "down");
        body.put("down", down);
        body.put("database", databaseState);
        body.put("queue", queueState);
        body.put("worker", workerState);
        body.put("lookups", lookups());
        response.setHeader("Cache-Control", "no-store");
        Views.json(response, json, down.isEmpty() ? HttpServletResponse.SC_OK
                : HttpServletResponse.SC_SERVICE_UNAVAILABLE, body);
    }

    /**
     * {@code redis} or {@code embedded}: the first word of the queue's description, which goes on to name
     * the Redis host and port. The page is open to anyone, so it names no address.
     */
    static String kindOf(String description) {
        int space = description.indexOf(' ');
        return space < 0 ? description : description.substring(0, space);
    }

    private Map<String, Object> lookups() {
        Map<String, Object> lookups = new LinkedHashMap<>();
        lookups.put("state", status.getState());
        lookups.put("notice", status.getNotice());
        status.pause().ifPresent(pause -> {
            lookups.put("pausedUntil", pause.until().toString());
            lookups.put("pauseReason", pause.reason());
        });
        if (limiter != null) {
            try {
                lookups.put("usedThisMinute", limiter.usedThisMinute());
                lookups.put("usedToday", limiter.usedToday());
            } catch (RuntimeException e) {
                lookups.put("quotaUnknown", "the shared rate limit cannot be read");
            }
            lookups.put("perMinute", limiter.perMinute());
            lookups.put("perDay", limiter.perDay());
            QuotaMeter meter = status.getQuotaMeter();
            if (meter != null) {
                lookups.put("quota", meter.toMap());
            }
        }
        if (status.getLastFailure() != null) {
            lookups.put("lastFailure", status.getLastFailure());
        }
        return lookups;
    }
}
