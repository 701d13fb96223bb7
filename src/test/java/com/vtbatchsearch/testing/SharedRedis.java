package com.vtbatchsearch.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.JedisPooled;

/**
 * A real Redis server and a connection pool to it for one test class, registered as a static
 * {@code @RegisterExtension} field: started before the class's tests, stopped after them.
 */
public final class SharedRedis implements BeforeAllCallback, AfterAllCallback {
    private RedisProcess server;
    private JedisPooled pool;

    @Override
    public void beforeAll(ExtensionContext context) {
        server = RedisProcess.start();
        pool = new JedisPooled("127.0.0.1", server.port());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (pool != null) {
            pool.close();
        }
        if (server != null) {
            server.close();
        }
    }

    public RedisProcess server() {
        return server;
    }

    public JedisPooled pool() {
        return pool;
    }
}
