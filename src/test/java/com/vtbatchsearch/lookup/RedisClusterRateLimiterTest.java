package com.vtbatchsearch.lookup;

import com.vtbatchsearch.testing.RedisCluster;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.UnifiedJedis;

/**
 * The shared limiter's tests on a real three-master Redis cluster: every key its scripts touch is
 * declared and shares the prefix's hash tag, or these fail with CROSSSLOT.
 */
class RedisClusterRateLimiterTest extends RedisRateLimiterTest {
    @RegisterExtension
    static final RedisCluster CLUSTER = new RedisCluster();

    @Override
    UnifiedJedis redis() {
        return CLUSTER.client();
    }
}
