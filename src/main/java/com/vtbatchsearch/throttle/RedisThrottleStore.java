package com.vtbatchsearch.throttle;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The budgets in Redis: one sorted set per client and window, members {@code id:amount} scored by the
 * time of the charge. One Lua script drops what left the window, sums the rest, and adds the charge if
 * it fits, so concurrent instances never overspend; its one key is passed in KEYS and carries the
 * deployment's prefix, so the script also runs on a Redis cluster. A set expires with its window: an
 * idle client costs nothing.
 */
public final class RedisThrottleStore implements ThrottleStore {
    /** Answers {granted 0|1, used before, milliseconds until room}. */
    private static final String CHARGE = """
            local now = tonumber(ARGV[1])
            local length = tonumber(ARGV[2])
            local limit = tonumber(ARGV[3])
            local amount = tonumber(ARGV[4])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - length)
            local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
            local used = 0
            for i = 1, #entries, 2 do
              used = used + tonumber(string.match(entries[i], ':(%d+)$'))
            end
            if used + amount <= limit then
              redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. amount)
              redis.call('PEXPIRE', KEYS[1], length)
              return {1, used, 0}
            end
            if amount > limit then return {0, used, length} end
            local left = used
            for i = 1, #entries, 2 do
              left = left - tonumber(string.match(entries[i], ':(%d+)$'))
              if left + amount <= limit then return {0, used, tonumber(entries[i + 1]) + length - now} end
            end
            return {0, used, length}""";

    private final UnifiedJedis redis;
    private final String prefix;

    /**
     * @param redis  a connection the caller owns and closes
     * @param prefix of every key, the deployment's own (shared with the queue, so one hash slot serves all)
     */
    public RedisThrottleStore(UnifiedJedis redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    private String key(String client, Window window) {
        return prefix + "throttle:" + window.name() + ":" + client;
    }

    @Override
    public Charge charge(String client, Window window, int amount, Instant now) {
        String id = UUID.randomUUID().toString();
        List<?> answer = (List<?>) redis.eval(CHARGE, List.of(key(client, window)),
                List.of(String.valueOf(now.toEpochMilli()), String.valueOf(window.length().toMillis()),
                        String.valueOf(window.limit()), String.valueOf(amount), id));
        boolean granted = (Long) answer.get(0) == 1L;
        return new Charge(client, window, id, amount, granted, (Long) answer.get(1),
                Duration.ofMillis((Long) answer.get(2)));
    }

    @Override
    public void refund(Charge charge) {
        redis.zrem(key(charge.client(), charge.window()), charge.id() + ":" + charge.amount());
    }
}
