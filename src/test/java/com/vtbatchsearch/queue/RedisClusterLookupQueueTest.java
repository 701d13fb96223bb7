package com.vtbatchsearch.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.vtbatchsearch.testing.RedisCluster;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The queue's contract and its Redis behaviour on a real three-master Redis cluster, as Azure Managed
 * Redis or Azure Cache for Redis with clustering runs: each test's prefix has its own hash tag, so the
 * tests spread over the masters, and a script that touched a key it was not given, or keys in two
 * slots, would fail here with CROSSSLOT.
 */
class RedisClusterLookupQueueTest extends RedisLookupQueueTest {
    @RegisterExtension
    static final RedisCluster CLUSTER = new RedisCluster();

    @Override
    UnifiedJedis redis() {
        return CLUSTER.client();
    }

    @Test
    void connectRecognisesAClusterAndTheDeploymentsPrefixWorksOnIt() throws InterruptedException {
        assertInstanceOf(JedisCluster.class, CLUSTER.client(), "a cluster node's URL gives a cluster client");
        RedisLookupQueue deployment = new RedisLookupQueue(CLUSTER.client(), RedisLookupQueue.DEFAULT_PREFIX,
                "redis cluster", Duration.ofSeconds(30));
        try {
            deployment.enqueue(X);
            QueuedLookup lookup = deployment.start(deployment.take(Duration.ofMillis(200)).orElseThrow(), A, 0);
            assertEquals(true, deployment.tryClaim(A, "w1", Duration.ofSeconds(5)));
            deployment.ack(lookup);
            assertEquals(0, deployment.recoverAbandoned());
            assertEquals(Optional.of(new LookupQueue.Turn(X, 0)), deployment.take(Duration.ofMillis(200)));
            deployment.pass(new LookupQueue.Turn(X, 0), false);
            assertEquals(0, deployment.size());
        } finally {
            deployment.close();
            List.of("batches", "cursors", "instances", "claim:" + A).forEach(k ->
                    CLUSTER.client().del(RedisLookupQueue.DEFAULT_PREFIX + k));
        }
        assertEquals(JedisClusterCRC16.getSlot("vtbs"), JedisClusterCRC16.getSlot(RedisLookupQueue.DEFAULT_PREFIX));
    }
}
