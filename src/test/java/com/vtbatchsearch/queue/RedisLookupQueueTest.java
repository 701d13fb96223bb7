package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Runs against a real Redis server that the test starts itself, on a free loopback port (never the
 * shared Redis on 6379), from the binary bundled in embedded-redis.
 */
class RedisLookupQueueTest {
    private static final String A = "d41d8cd98f00b204e9800998ecf8427e";
    private static final String B = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    private static final String C = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String D = "0cc175b9c0f1b6a831c399e269772661";

    private static RedisServer server;
    private static int port;

    private final List<RedisLookupQueue> opened = new ArrayList<>();
    private String key;
    private RedisLookupQueue queue;

    @BeforeAll
    static void startRedis() throws IOException {
        port = freePort();
        server = startServer(port, null);
    }

    @AfterAll
    static void stopRedis() throws IOException {
        if (server != null) {
            server.stop();
        }
    }

    @BeforeEach
    void openQueue() {
        key = "vt-batch-search-test:" + UUID.randomUUID();
        queue = open(URI.create("redis://127.0.0.1:" + port), key);
    }

    @AfterEach
    void closeQueues() {
        opened.forEach(RedisLookupQueue::close);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static RedisServer startServer(int port, String password) throws IOException {
        RedisServer redis = RedisServer.newRedisServer()
                .port(port)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .settingIf(password != null, "requirepass " + password)
                .build();
        redis.start();
        return redis;
    }

    private RedisLookupQueue open(URI url, String key) {
        RedisLookupQueue q = new RedisLookupQueue(url, key);
        opened.add(q);
        return q;
    }

    private List<String> drain(LookupQueue q) throws InterruptedException {
        List<String> taken = new ArrayList<>();
        Optional<String> next;
        while ((next = q.take(Duration.ofMillis(50))).isPresent()) {
            taken.add(next.get());
        }
        return taken;
    }

    @Test
    void takesHashesInTheOrderTheyWereAdded() throws InterruptedException {
        queue.addAll(List.of(A, B));
        queue.addAll(List.of(C));

        assertEquals(List.of(A, B, C), drain(queue));
    }

    @Test
    void addFirstPutsAHashAtTheHead() throws InterruptedException {
        queue.addAll(List.of(A, B));

        queue.addFirst(C);

        assertEquals(List.of(C, A, B), drain(queue));
    }

    @Test
    void takeOnAnEmptyQueueReturnsEmptyAfterTheTimeout() throws InterruptedException {
        long begin = System.nanoTime();

        Optional<String> taken = queue.take(Duration.ofMillis(300));

        long millis = Duration.ofNanos(System.nanoTime() - begin).toMillis();
        assertEquals(Optional.empty(), taken);
        assertTrue(millis >= 250, "returned after " + millis + " ms, before the timeout");
        assertTrue(millis < 2_000, "returned after " + millis + " ms, long after the timeout");
    }

    @Test
    void takeWaitsForAHashAddedMeanwhile() throws Exception {
        Thread producer = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            queue.addAll(List.of(D));
        });
        producer.start();

        Optional<String> taken = queue.take(Duration.ofSeconds(5));

        producer.join();
        assertEquals(Optional.of(D), taken);
    }

    @Test
    void takeOnAnInterruptedThreadThrows() {
        queue.addAll(List.of(A));
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedException.class, () -> queue.take(Duration.ofMillis(100)));
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, queue.size(), "nothing was taken");
    }

    @Test
    void sizeCountsQueuedHashes() throws InterruptedException {
        assertEquals(0, queue.size());
        queue.addAll(List.of(A, B, C));
        assertEquals(3, queue.size());

        queue.take(Duration.ofMillis(100));

        assertEquals(2, queue.size());
    }

    @Test
    void snapshotListsEveryHashOnceInQueueOrderWithoutTakingAny() {
        queue.addAll(List.of(B, A, B, C));

        assertEquals(List.of(B, A, C), List.copyOf(queue.snapshot()));
        assertEquals(4, queue.size());
    }

    @Test
    void addingNothingIsANoOp() {
        queue.addAll(List.of());

        assertEquals(0, queue.size());
    }

    @Test
    void largeAdditionsKeepTheirOrderAcrossChunks() throws InterruptedException {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            many.add("%032x".formatted(i));
        }

        queue.addAll(many);

        assertEquals(2_500, queue.size());
        assertEquals(many, List.copyOf(queue.snapshot()));
        assertEquals(many.get(0), queue.take(Duration.ofMillis(100)).orElseThrow());
    }

    @Test
    void twoQueuesOnOneKeyShareTheirItems() throws InterruptedException {
        RedisLookupQueue other = open(URI.create("redis://127.0.0.1:" + port), key);

        queue.addAll(List.of(A, B));
        other.addFirst(C);

        assertEquals(3, other.size());
        assertEquals(Optional.of(C), queue.take(Duration.ofMillis(100)));
        assertEquals(Optional.of(A), other.take(Duration.ofMillis(100)));
        assertEquals(List.of(B), List.copyOf(queue.snapshot()));
    }

    @Test
    void queuesOnDifferentKeysAreSeparate() {
        RedisLookupQueue other = open(URI.create("redis://127.0.0.1:" + port), key + ":other");

        queue.addAll(List.of(A));

        assertEquals(0, other.size());
    }

    @Test
    void describeNamesHostAndPort() {
        assertEquals("redis 127.0.0.1:" + port, queue.describe());
    }

    @Test
    void aPasswordInTheUrlIsUsedAndNeverDescribed() throws IOException, InterruptedException {
        int securePort = freePort();
        RedisServer secure = startServer(securePort, "s3cret-pass");
        try {
            RedisLookupQueue withPassword = open(URI.create("redis://:s3cret-pass@127.0.0.1:" + securePort), key);

            withPassword.addAll(List.of(A));

            assertEquals(Optional.of(A), withPassword.take(Duration.ofMillis(100)));
            assertFalse(withPassword.describe().contains("s3cret"), withPassword.describe());
        } finally {
            secure.stop();
        }
    }
}
