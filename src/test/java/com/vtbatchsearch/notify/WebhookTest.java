package com.vtbatchsearch.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.BlackHole;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.WebhookReceiver;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The webhook's delivery: retried after a 5xx, given up on a 4xx, bounded, and never in the caller's way. */
class WebhookTest {
    private static final Webhook.Settings QUICK = new Webhook.Settings(4, Duration.ofMillis(50), Duration.ofMillis(200),
            Duration.ofSeconds(2), 3);

    @Test
    void aMessageIsRetriedAfterA500AndArrivesOnce() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(500, 503);
                Webhook webhook = new Webhook(URI.create(receiver.url()), QUICK, new ObjectMapper())) {
            assertTrue(webhook.post(Map.of("text", "hello", "batchId", "b1")));
            Instances.await("the message delivered", Duration.ofSeconds(10), () -> webhook.waiting() == 0);
            assertEquals(List.of(500, 503, 200), receiver.statuses());
            assertEquals(3, receiver.bodies().size());
            assertEquals(1, receiver.bodies().stream().distinct().count(), "the same message each time");
            assertEquals("hello", new ObjectMapper().readTree(receiver.bodies().get(0)).path("text").asText());
        }
    }

    @Test
    void aClientErrorIsNotRetriedAndAnErrorThatLastsGivesUp() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(404, 500, 500, 500, 500);
                Webhook webhook = new Webhook(URI.create(receiver.url()), QUICK, new ObjectMapper())) {
            webhook.post(Map.of("text", "one"));
            Instances.await("the first given up", Duration.ofSeconds(10), () -> webhook.waiting() == 0);
            assertEquals(List.of(404), receiver.statuses());
            webhook.post(Map.of("text", "two"));
            Instances.await("the second given up", Duration.ofSeconds(10), () -> webhook.waiting() == 0);
            assertEquals(List.of(404, 500, 500, 500, 500), receiver.statuses(), "4 attempts, then dropped");
        }
    }

    @Test
    void aWebhookThatNeverAnswersHoldsNoCallerAndItsQueueIsBounded() throws Exception {
        try (BlackHole hole = new BlackHole();
                Webhook webhook = new Webhook(URI.create("http://127.0.0.1:" + hole.port() + "/hook"),
                        new Webhook.Settings(2, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30), 3),
                        new ObjectMapper())) {
            assertTrue(webhook.post(Map.of("text", "1")));
            Instances.await("the first request sent and hanging", Duration.ofSeconds(10), () -> hole.accepted() == 1);
            // While that request hangs, posting returns at once: the caller never waits for the webhook.
            assertTrue(webhook.post(Map.of("text", "2")));
            assertTrue(webhook.post(Map.of("text", "3")));
            assertFalse(webhook.post(Map.of("text", "4")), "beyond the bound a message is dropped");
            assertEquals(3, webhook.waiting());
            assertEquals(1, hole.accepted(), "the others wait their turn");
        }
    }
}
