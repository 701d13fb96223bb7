package com.vtbatchsearch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/** The app's JSON API as a test drives it over HTTP: upload, read a batch, wait, read /health. */
public final class AppClient {
    private final Http http;
    private final ObjectMapper json = new ObjectMapper();

    public AppClient(URI base) {
        this.http = new Http(base);
    }

    public Http http() {
        return http;
    }

    /** Posts text to the API and returns the new batch's id; fails unless the answer is 201. */
    public String upload(String text) throws IOException, InterruptedException {
        HttpResponse<String> created = http.post("/api/batches", "text/plain; charset=UTF-8",
                text.getBytes(StandardCharsets.UTF_8));
        if (created.statusCode() != 201) {
            throw new AssertionError("upload answered " + created.statusCode() + ": " + created.body());
        }
        return json.readTree(created.body()).path("id").asText();
    }

    public JsonNode batch(String id) throws IOException, InterruptedException {
        HttpResponse<String> answer = http.get("/api/batches/" + id);
        if (answer.statusCode() != 200) {
            throw new AssertionError("batch " + id + " answered " + answer.statusCode() + ": " + answer.body());
        }
        return json.readTree(answer.body());
    }

    /** Waits until every item of the batch has an answer. */
    public JsonNode awaitDone(String id, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode batch = batch(id);
        while (!"done".equals(batch.path("status").asText())) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("batch " + id + " not done within " + timeout + ": " + batch.path("counts"));
            }
            Thread.sleep(200);
            batch = batch(id);
        }
        return batch;
    }

    /** {@code /health}: its status code and body. */
    public Health health() throws IOException, InterruptedException {
        HttpResponse<String> answer = http.get("/health");
        return new Health(answer.statusCode(), json.readTree(answer.body()));
    }

    /** Polls {@code /health} until {@code condition} holds; returns the last answer. */
    public Health awaitHealth(Predicate<Health> condition, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        Health health = health();
        while (!condition.test(health)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("/health never reached the expected state within " + timeout + "; last: "
                        + health);
            }
            Thread.sleep(250);
            health = health();
        }
        return health;
    }

    /** One answer of {@code /health}. */
    public record Health(int status, JsonNode body) {
        public boolean isDown(String component) {
            for (JsonNode down : body.path("down")) {
                if (component.equals(down.asText())) {
                    return true;
                }
            }
            return false;
        }

        public boolean isUp() {
            return status == 200 && "up".equals(body.path("status").asText());
        }
    }
}
