package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.SharedRedis;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.JedisPooled;
import redis.embedded.RedisServer;

/**
 * Runs against a real Redis server that the test starts itself, on a free loopback port (never the
 * shared Redis on 6379), from the binary bundled in embedded-REDIS.pool().
 */
class RedisLookupQueueTest extends LookupQueueContract {
    @RegisterExtension
    static final SharedRedis REDIS = new SharedRedis();

    private final List<RedisLookupQueue> opened = new ArrayList<>();
    private String prefix;
    private RedisLookupQueue queue;

    @BeforeEach
    void openQueue() {
        prefix = "vt-batch-search-test:" + UUID.randomUUID() + ":";
        queue = open(prefix);
    }

    @AfterEach
    void closeQueues() {
        opened.forEach(RedisLookupQueue::close);
    }

    @Override
    LookupQueue queue() {
        return queue;
    }

    private RedisLookupQueue open(String keyPrefix) {
        RedisLookupQueue q = new RedisLookupQueue(REDIS.pool(), keyPrefix, "redis 127.0.0.1:" + REDIS.server().port(), Duration.ofSeconds(30));
        opened.add(q);
        return q;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static RedisServer startServer(int port, String password) throws IOException {
        RedisServer server = RedisServer.newRedisServer()
                .port(port)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .settingIf(password != null, "requirepass " + password)
                .build();
        server.start();
        return server;
    }

    @Test
    void aTakenEntryStaysInTheProcessingListUntilAcknowledged() throws InterruptedException {
        queue.enqueue(X, List.of(A, B));

        QueuedLookup taken = queue.take(Duration.ofMillis(100)).orElseThrow();

        assertEquals(new QueuedLookup(X, A), taken);
        assertEquals(1, queue.inProgress());
        assertEquals(1, queue.size(), "in progress is not waiting");
        queue.ack(taken);
        assertEquals(0, queue.inProgress());
        assertEquals(1, queue.size());
    }

    @Test
    void requeueTakesTheEntryOutOfTheProcessingList() throws InterruptedException {
        queue.enqueue(X, List.of(A, B));
        QueuedLookup taken = queue.take(Duration.ofMillis(100)).orElseThrow();

        queue.requeue(taken, true);

        assertEquals(0, queue.inProgress());
        assertEquals(2, queue.size());
    }

    @Test
    void twoQueuesOnOnePrefixShareTheirEntries() throws InterruptedException {
        RedisLookupQueue other = open(prefix);

        queue.enqueue(X, List.of(A, B));
        other.enqueue(Y, List.of(C));

        assertEquals(3, other.size());
        assertEquals(Optional.of(new QueuedLookup(X, A)), queue.take(Duration.ofMillis(100)));
        assertEquals(Optional.of(new QueuedLookup(Y, C)), other.take(Duration.ofMillis(100)));
        assertEquals(Map.of(X, 1L), queue.lengths());
        assertEquals(1, queue.inProgress());
        assertEquals(1, other.inProgress());
    }

    @Test
    void queuesOnDifferentPrefixesAreSeparate() {
        RedisLookupQueue other = open(prefix + "other:");

        queue.enqueue(X, List.of(A));

        assertEquals(0, other.size());
        assertEquals(1, queue.size());
    }

    @Test
    void entriesOfAStoppedInstanceGoBackToTheHeadOfTheirLines() throws InterruptedException {
        RedisLookupQueue dead = open(prefix);
        queue.enqueue(X, List.of(A, B, C));
        queue.enqueue(Y, List.of(D));
        QueuedLookup first = dead.take(Duration.ofMillis(100)).orElseThrow();
        QueuedLookup second = dead.take(Duration.ofMillis(100)).orElseThrow();
        assertEquals(List.of(new QueuedLookup(X, A), new QueuedLookup(Y, D)), List.of(first, second));
        queue.heartbeat();
        assertEquals(0, queue.recoverAbandoned(), "a live instance's entries are left alone");
        assertEquals(2, dead.inProgress());

        dead.close(); // deletes its heartbeat, as on shutdown or once the key expires

        assertEquals(2, queue.recoverAbandoned());
        assertEquals(0, dead.inProgress());
        assertEquals(0, queue.recoverAbandoned(), "recovered once");
        List<QueuedLookup> all = drain(queue);
        assertEquals(4, all.size(), "nothing lost, nothing doubled: " + all);
        assertEquals(entries(X, A, B, C), all.stream().filter(e -> e.batchId().equals(X)).toList(),
                "the recovered entry is at the head of its line");
        assertTrue(all.contains(new QueuedLookup(Y, D)), "the batch whose line had run dry is back in turn");
    }

    @Test
    void anInstanceDoesNotRecoverItsOwnEntries() throws InterruptedException {
        queue.enqueue(X, List.of(A));
        queue.take(Duration.ofMillis(100)).orElseThrow();

        assertEquals(0, queue.recoverAbandoned());
        assertEquals(1, queue.inProgress());
    }

    @Test
    void needsRefillAgainAfterRedisLostItsData() throws InterruptedException {
        RedisLookupQueue other = open(prefix);
        assertTrue(queue.needsRefill());
        queue.markFilled();
        assertFalse(queue.needsRefill());
        assertFalse(other.needsRefill(), "the marker is shared by every instance");

        REDIS.pool().flushAll();

        assertTrue(queue.needsRefill());
        assertTrue(other.needsRefill());
    }

    @Test
    void describeIsWhatTheOwnerSaid() {
        assertEquals("redis 127.0.0.1:" + REDIS.server().port(), queue.describe());
        assertEquals("redis cache.example.com:6380", RedisLookupQueue.describe(URI.create(
                "rediss://:pw@cache.example.com:6380/0")));
        assertEquals("redis cache.example.com:6379", RedisLookupQueue.describe(URI.create("redis://cache.example.com")));
    }

    @Test
    void aPasswordInTheUrlIsUsedAndNeverDescribed() throws IOException, InterruptedException {
        int securePort = freePort();
        RedisServer secure = startServer(securePort, "s3cret-pass");
        URI url = URI.create("redis://:s3cret-pass@127.0.0.1:" + securePort);
        try (JedisPooled pool = RedisLookupQueue.connect(url)) {
            RedisLookupQueue withPassword = new RedisLookupQueue(pool, prefix, RedisLookupQueue.describe(url), Duration.ofSeconds(30));

            withPassword.enqueue(X, List.of(A));

            assertEquals(Optional.of(new QueuedLookup(X, A)), withPassword.take(Duration.ofMillis(100)));
            assertFalse(withPassword.describe().contains("s3cret"), withPassword.describe());
            withPassword.close();
        } finally {
            secure.stop();
        }
    }
}
