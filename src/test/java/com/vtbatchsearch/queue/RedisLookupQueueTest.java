package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.queue.LookupQueue.Turn;
import com.vtbatchsearch.testing.SharedRedis;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.util.JedisClusterCRC16;
import redis.embedded.RedisServer;

/**
 * Runs against a real Redis server that the test starts itself, on a free loopback port (never the
 * shared Redis on 6379), from the binary bundled in embedded-redis.
 */
class RedisLookupQueueTest extends LookupQueueContract {
    @RegisterExtension
    static final SharedRedis REDIS = new SharedRedis();

    private final List<RedisLookupQueue> opened = new ArrayList<>();
    private String prefix;
    private RedisLookupQueue queue;

    @BeforeEach
    void openQueue() {
        prefix = "{vt-batch-search-test:" + UUID.randomUUID() + "}:";
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

    /** The Redis under test: a single server here, a cluster in the subclass. */
    UnifiedJedis redis() {
        return REDIS.pool();
    }

    private RedisLookupQueue open(String keyPrefix) {
        RedisLookupQueue q = new RedisLookupQueue(redis(), keyPrefix, "redis 127.0.0.1:" + REDIS.server().port(), Duration.ofSeconds(30));
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
    void aTurnAndThenItsLookupStayInProgressUntilAcknowledged() throws InterruptedException {
        queue.enqueue(X);

        Turn turn = take(queue);
        assertEquals(1, queue.inProgress(), "the turn");
        assertEquals(0, queue.size(), "in progress is not waiting");
        QueuedLookup lookup = queue.start(turn, A, 0);
        assertEquals(1, queue.inProgress(), "the lookup, in place of the turn");
        assertEquals(1, queue.size(), "the batch is back in the rotation");

        queue.ack(lookup);
        assertEquals(0, queue.inProgress());
        assertEquals(1, queue.size());
    }

    @Test
    void passAndRequeueEndTheirEntryInProgress() throws InterruptedException {
        queue.enqueue(X);
        queue.pass(take(queue), true);
        assertEquals(0, queue.inProgress());

        queue.requeue(queue.start(take(queue), A, 0), true);

        assertEquals(0, queue.inProgress());
        assertEquals(1, queue.size());
    }

    @Test
    void twoQueuesOnOnePrefixShareTheRotation() throws InterruptedException {
        RedisLookupQueue other = open(prefix);

        queue.enqueue(X);
        other.enqueue(Y);
        other.enqueue(X);

        assertEquals(2, other.size());
        assertEquals(X, take(queue).batchId());
        assertEquals(Y, take(other).batchId());
        assertEquals(1, queue.inProgress());
        assertEquals(1, other.inProgress());
    }

    @Test
    void queuesOnDifferentPrefixesAreSeparate() {
        RedisLookupQueue other = open("{" + UUID.randomUUID() + "}:");

        queue.enqueue(X);

        assertEquals(0, other.size());
        assertEquals(1, queue.size());
    }

    @Test
    void theBatchesOfAStoppedInstanceGetTheirPlacesBack() throws InterruptedException {
        RedisLookupQueue dead = open(prefix);
        queue.enqueue(X);
        queue.enqueue(Y);
        QueuedLookup lookup = dead.start(take(dead), A, 5); // X, at the tail again with its cursor at 5
        dead.take(Duration.ofMillis(100)).orElseThrow(); // Y's turn, never finished
        queue.heartbeat();
        assertEquals(0, queue.recoverAbandoned(), "a live instance's entries are left alone");
        assertEquals(2, dead.inProgress());

        dead.close(); // deletes its heartbeat, as on shutdown or once the key expires

        assertEquals(2, queue.recoverAbandoned());
        assertEquals(0, dead.inProgress());
        assertEquals(0, queue.recoverAbandoned(), "recovered once");
        assertEquals(List.of(new Turn(X, 4), new Turn(Y, -1)), List.of(take(queue), take(queue)),
                "the lookup in progress is its batch's next; the abandoned turn is back");
        assertEquals(lookup.batchId(), X);
    }

    @Test
    void entriesALiveInstanceLeftUnacknowledgedAreGivenBackAfterTheBound() throws InterruptedException {
        RedisLookupQueue stranded = new RedisLookupQueue(redis(), prefix, "redis", Duration.ofSeconds(30),
                Duration.ofMillis(500));
        opened.add(stranded);
        queue.enqueue(X);
        stranded.take(Duration.ofMillis(100)).orElseThrow(); // its pass was lost while Redis blinked
        stranded.heartbeat();

        assertEquals(0, stranded.recoverAbandoned(), "younger than the bound");
        assertFalse(queue.isQueued(X));
        Thread.sleep(700);

        assertEquals(1, stranded.recoverAbandoned(), "older than the bound, though its instance lives");
        assertTrue(queue.isQueued(X));
        assertEquals(0, stranded.inProgress());
    }

    @Test
    void everyKeySharesTheHashTagOfThePrefix() throws InterruptedException {
        queue.enqueue(X);
        queue.start(take(queue), A, 0);
        queue.tryClaim(A, "w1", Duration.ofSeconds(30));
        queue.markFilled();
        queue.recoverAbandoned();

        Set<String> keys = redis().keys(prefix + "*");
        assertTrue(keys.size() >= 6, keys.toString());
        int slot = JedisClusterCRC16.getSlot(prefix);
        for (String key : keys) {
            assertEquals(slot, JedisClusterCRC16.getSlot(key), key);
        }
        assertEquals(JedisClusterCRC16.getSlot("vtbs"), JedisClusterCRC16.getSlot(RedisLookupQueue.DEFAULT_PREFIX + "x"),
                "the deployment's prefix is hash-tagged");
    }

    @Test
    void needsRefillAgainAfterRedisLostItsData() throws InterruptedException {
        RedisLookupQueue other = open(prefix);
        assertTrue(queue.needsRefill());
        queue.markFilled();
        assertFalse(queue.needsRefill());
        assertFalse(other.needsRefill(), "the marker is shared by every instance");

        redis().flushAll();

        assertTrue(queue.needsRefill());
        assertTrue(other.needsRefill());
    }

    @Test
    void connectingToARedisThatDoesNotAnswerYetStillGivesAConnection() throws IOException {
        URI down = URI.create("redis://127.0.0.1:" + freePort());

        try (UnifiedJedis pool = RedisLookupQueue.connect(down)) {
            assertInstanceOf(JedisPooled.class, pool, "taken for a single server, so the app starts");
            assertThrows(JedisConnectionException.class, pool::ping);
        }
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
        try (UnifiedJedis pool = RedisLookupQueue.connect(url)) {
            RedisLookupQueue withPassword = new RedisLookupQueue(pool, prefix, RedisLookupQueue.describe(url), Duration.ofSeconds(30));

            withPassword.enqueue(X);

            assertEquals(Optional.of(new Turn(X, -1)), withPassword.take(Duration.ofMillis(100)));
            assertFalse(withPassword.describe().contains("s3cret"), withPassword.describe());
            withPassword.close();
        } finally {
            secure.stop();
        }
    }
}
