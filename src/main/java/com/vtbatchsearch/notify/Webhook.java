package com.vtbatchsearch.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Posts JSON messages to {@code WEBHOOK_URL} on a thread of its own, so a slow or dead webhook never holds
 * up anything else: at most {@link Settings#maxQueued} messages wait (more are dropped, and the log says
 * so), each is tried up to {@link Settings#maxAttempts} times with a doubling back-off on a network failure,
 * a 5xx or a 429, and a request gives up after {@link Settings#timeout}. Logs name the webhook's host only:
 * its path often holds its secret (Slack's and Teams' do).
 */
public final class Webhook implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Webhook.class.getName());

    /** Attempts, back-off, timeout and queue bound; tests shorten them. */
    public record Settings(int maxAttempts, Duration firstBackoff, Duration maxBackoff, Duration timeout,
            int maxQueued) {
        public static Settings defaults() {
            return new Settings(6, Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(10), 100);
        }
    }

    private final URI url;
    private final String host;
    private final Settings settings;
    private final ObjectMapper json;
    private final HttpClient http;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicInteger waiting = new AtomicInteger();

    public Webhook(URI url, Settings settings, ObjectMapper json) {
        this.url = url;
        this.host = url.getHost();
        this.settings = settings;
        this.json = json;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "vt-batch-search-webhook");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    /**
     * Queues a message and returns at once.
     *
     * @return false when the queue is full (the message is dropped) or the webhook is closed
     */
    public boolean post(Map<String, Object> message) {
        byte[] body;
        try {
            body = json.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a webhook message must be JSON", e);
        }
        if (waiting.incrementAndGet() > settings.maxQueued()) {
            waiting.decrementAndGet();
            LOG.warning(() -> "webhook to " + host + ": " + settings.maxQueued()
                    + " messages already wait; one was dropped");
            return false;
        }
        try {
            executor.execute(() -> attempt(body, 1));
            return true;
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            return false;
        }
    }

    /** Messages queued or being retried. */
    public int waiting() {
        return waiting.get();
    }

    private void attempt(byte[] body, int attempt) {
        String failure;
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(url).timeout(settings.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "vt-batch-search")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                waiting.decrementAndGet();
                return;
            }
            failure = "answered " + status;
            if (status < 500 && status != 429) {
                giveUp(attempt, failure + ", which another attempt would not change");
                return;
            }
        } catch (IOException e) {
            failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            waiting.decrementAndGet();
            return;
        }
        if (attempt >= settings.maxAttempts()) {
            giveUp(attempt, failure);
            return;
        }
        Duration backoff = settings.firstBackoff().multipliedBy(1L << Math.min(attempt - 1, 20));
        Duration wait = backoff.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : backoff;
        String reason = failure;
        LOG.info(() -> "webhook to " + host + " " + reason + " (attempt " + attempt + "); trying again in "
                + wait.toMillis() + " ms");
        try {
            executor.schedule(() -> attempt(body, attempt + 1), wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            waiting.decrementAndGet(); // closed meanwhile
        }
    }

    private void giveUp(int attempts, String failure) {
        waiting.decrementAndGet();
        LOG.warning(() -> "webhook to " + host + " " + failure + "; message dropped after " + attempts + " attempts");
    }

    /** Stops at once: messages still waiting are dropped. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
