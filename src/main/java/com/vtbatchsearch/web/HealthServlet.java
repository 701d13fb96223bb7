package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.LookupStatus;
import com.vtbatchsearch.lookup.LookupWorker;
import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.store.Database;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /health}: the state of the database, the queue and lookups as JSON; 503 when the app
 * cannot store uploads or queue lookups.
 */
public final class HealthServlet extends HttpServlet {
    private final Database database;
    private final LookupQueue queue;
    private final LookupStatus status;
    private final RateLimiter limiter;
    private final List<LookupWorker> workers;
    private final String workerExecutor;
    private final ObjectMapper json;

    /**
     * @param limiter        null when no API key is configured
     * @param workerExecutor what the worker runs on: managed, own, or none without an API key
     */
    public HealthServlet(Database database, LookupQueue queue, LookupStatus status, RateLimiter limiter,
            List<LookupWorker> workers, String workerExecutor, ObjectMapper json) {
        this.database = database;
        this.queue = queue;
        this.status = status;
        this.limiter = limiter;
        this.workers = workers;
        this.workerExecutor = workerExecutor;
        this.json = json;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean databaseUp = database.isHealthy();
        Map<String, Object> queueState = new LinkedHashMap<>();
        queueState.put("kind", queue.describe());
        boolean queueUp;
        try {
            queueState.put("length", queue.size());
            queueState.put("batches", queue.lengths().size());
            queueUp = true;
        } catch (RuntimeException e) {
            queueUp = false;
        }
        queueState.put("up", queueUp);
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
        }
        Map<String, Object> body = new LinkedHashMap<>();
        boolean up = databaseUp && queueUp;
        body.put("status", up ? "up" : "down");
        body.put("database", Map.of("up", databaseUp));
        body.put("queue", queueState);
        body.put("lookups", lookups);
        Map<String, Object> worker = new LinkedHashMap<>();
        worker.put("executor", workerExecutor);
        worker.put("workers", workers.size());
        worker.put("running", workers.stream().filter(LookupWorker::isRunning).count());
        body.put("worker", worker);
        response.setHeader("Cache-Control", "no-store");
        Views.json(response, json, up ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE, body);
    }
}
