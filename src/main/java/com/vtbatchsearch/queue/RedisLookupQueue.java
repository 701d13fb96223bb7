package com.vtbatchsearch.queue;

import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.util.KeyValue;

/**
 * The queue as a Redis list, so several app instances share one line of work. Blocking pops use a
 * short timeout so the worker notices a shutdown; {@code redis://} and {@code rediss://} (TLS) URLs work.
 */
public final class RedisLookupQueue implements LookupQueue {
    public static final String DEFAULT_KEY = "vt-batch-search:lookup-queue";
    private static final int SOCKET_TIMEOUT_MS = 10_000;
    private static final int BATCH = 1_000;

    private final JedisPooled redis;
    private final String key;
    private final String description;

    public RedisLookupQueue(URI url, String key) {
        this.redis = new JedisPooled(url, SOCKET_TIMEOUT_MS);
        this.key = key;
        this.description = "redis " + url.getHost() + ":" + (url.getPort() > 0 ? url.getPort() : 6379);
    }

    @Override
    public void addAll(Collection<String> hashes) {
        String[] all = hashes.toArray(String[]::new);
        for (int from = 0; from < all.length; from += BATCH) {
            String[] chunk = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + BATCH));
            redis.rpush(key, chunk);
        }
    }

    @Override
    public void addFirst(String hash) {
        redis.lpush(key, hash);
    }

    @Override
    public Optional<String> take(Duration timeout) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        KeyValue<String, String> popped = redis.blpop(Math.max(0.01, timeout.toMillis() / 1000.0), key);
        return popped == null ? Optional.empty() : Optional.of(popped.getValue());
    }

    @Override
    public long size() {
        return redis.llen(key);
    }

    @Override
    public Set<String> snapshot() {
        return new LinkedHashSet<>(redis.lrange(key, 0, -1));
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        redis.close();
    }
}
