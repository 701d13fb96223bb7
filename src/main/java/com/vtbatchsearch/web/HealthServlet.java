package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.LookupStatus;
import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.store.Database;
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
 * {@code GET /health}: the state of the database, the queue (Redis or embedded), the worker and the
 * lookup quota as JSON; 503, naming what is down, when the app cannot store uploads, queue lookups or
 * look them up. App Service's health check and load balancers read the status.
 */
public final class HealthServlet extends HttpServlet {
    private final Database database;
    private final LookupQueue queue;
    private final LookupStatus status;
    private final RateLimiter limiter;
    private final Worker worker;
    private final ObjectMapper json;

    /**
     * What the worker runs on and whether it has ended.
     *
     * @param executor managed, own, or none without an API key
     * @param ended    true once the worker's task is over (it never is while the app runs)
     */
    public record Worker(String executor, BooleanSupplier ended) {
        boolean expected() {
            return !"none".equals(executor);
        }
    }

    /** @param limiter null when no API key is configured */
    public HealthServlet(Database database, LookupQueue queue, LookupStatus status, RateLimiter limiter,
            Worker worker, ObjectMapper json) {
        this.database = database;
        this.queue = queue;
        this.status = status;
        this.limiter = limiter;
        this.worker = worker;
        this.json = json;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        List<String> down = new ArrayList<>();
        boolean databaseUp = database.isHealthy();
        if (!databaseUp) {
            down.add("database");
        }
        Map<String, Object> databaseState = new LinkedHashMap<>();
        databaseState.put("kind", database.isPostgres() ? "postgresql" : "sqlite");
        databaseState.put("up", databaseUp);

        Map<String, Object> queueState = new LinkedHashMap<>();
        queueState.put("kind", queue.describe());
        try {
            queueState.put("length", queue.size());
            queueState.put("up", true);
        } catch (RuntimeException e) {
            queueState.put("up", false);
            down.add("queue");
        }

        boolean workerRunning = worker.expected() && !worker.ended().getAsBoolean();
        if (worker.expected() && !workerRunning) {
            down.add("worker");
        }
        Map<String, Object> workerState = new LinkedHashMap<>();
        workerState.put("executor", worker.executor());
        workerState.put("running", workerRunning);

        Map<String, Object> lookups = new LinkedHashMap<>();
        lookups.put("state", status.getState());
        lookups.put("notice", status.getNotice());
        if (limiter != null) {
            lookups.put("usedThisMinute", limiter.usedThisMinute());
            lookups.put("perMinute", limiter.perMinute());
            lookups.put("usedToday", limiter.usedToday());
            lookups.put("perDay", limiter.perDay());
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", down.isEmpty() ? "up" : "down");
        body.put("down", down);
        body.put("database", databaseState);
        body.put("queue", queueState);
        body.put("worker", workerState);
        body.put("lookups", lookups);
        response.setHeader("Cache-Control", "no-store");
        Views.json(response, json, down.isEmpty() ? HttpServletResponse.SC_OK
                : HttpServletResponse.SC_SERVICE_UNAVAILABLE, body);
    }
}
