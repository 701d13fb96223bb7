package com.vtbatchsearch.queue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.SetParams;

/**
 * The queue in Redis, shared by every app instance on it. Each batch has a list of hashes; a
 * rotation list holds the batches with work, and each take (one Lua script, so atomic) serves the
 * batch at its head and moves it to the tail. A taken entry is moved into this instance's processing
 * list in the same step and removed only when acknowledged, so a process that dies loses nothing:
 * once its heartbeat key expires, any instance moves its entries back. Claims are keys with a TTL.
 * {@code redis://} and {@code rediss://} (TLS) URLs work.
 */
public final class RedisLookupQueue implements LookupQueue {
    public static final String DEFAULT_PREFIX = "vt-batch-search:";
    private static final int SOCKET_TIMEOUT_MS = 10_000;
    private static final int CONNECT_TIMEOUT_MS = 2_000;
    private static final int CHUNK = 1_000;
    private static final Duration POLL = Duration.ofMillis(100);

    private static final String ENQUEUE = """
            local line = ARGV[1] .. ARGV[2]
            if ARGV[3] == 'head' then
              for i = #ARGV, 4, -1 do redis.call('LPUSH', line, ARGV[i]) end
            else
              for i = 4, #ARGV do redis.call('RPUSH', line, ARGV[i]) end
            end
            if not redis.call('LPOS', KEYS[1], ARGV[2]) then redis.call('RPUSH', KEYS[1], ARGV[2]) end
            return 1""";

    private static final String TAKE = """
            local n = redis.call('LLEN', KEYS[1])
            for i = 1, n do
              local batch = redis.call('LMOVE', KEYS[1], KEYS[1], 'LEFT', 'RIGHT')
              if not batch then return false end
              local line = ARGV[1] .. batch
              local hash = redis.call('LPOP', line)
              if redis.call('LLEN', line) == 0 then redis.call('LREM', KEYS[1], 0, batch) end
              if hash then
                local entry = batch .. ' ' .. hash
                redis.call('RPUSH', KEYS[2], entry)
                return entry
              end
            end
            return false""";

    private static final String REQUEUE = """
            local removed = redis.call('LREM', KEYS[2], 1, ARGV[3])
            local line = ARGV[1] .. ARGV[2]
            if ARGV[5] == 'head' then redis.call('LPUSH', line, ARGV[4]) else redis.call('RPUSH', line, ARGV[4]) end
            if not redis.call('LPOS', KEYS[1], ARGV[2]) then redis.call('RPUSH', KEYS[1], ARGV[2]) end
            return removed""";

    /** Moves every entry of a dead instance's processing list back to the head of its batch's line. */
    private static final String RECOVER = """
            if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
            local moved = 0
            while true do
              local entry = redis.call('RPOP', KEYS[2])
              if not entry then break end
              local space = string.find(entry, ' ', 1, true)
              local batch = string.sub(entry, 1, space - 1)
              redis.call('LPUSH', ARGV[1] .. batch, string.sub(entry, space + 1))
              if not redis.call('LPOS', KEYS[1], batch) then redis.call('RPUSH', KEYS[1], batch) end
              moved = moved + 1
            end
            redis.call('SREM', KEYS[4], ARGV[2])
            return moved""";

    private static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0""";

    private static final String CLAIM = """
            local current = redis.call('GET', KEYS[1])
            if current and current ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1""";

    /** Every batch with work and the length of its line, in turn order: one round trip, not one per batch. */
    private static final String LENGTHS = """
            local lengths = {}
            for _, batch in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
              lengths[#lengths + 1] = batch
              lengths[#lengths + 1] = redis.call('LLEN', ARGV[1] .. batch)
            end
            return lengths""";

    private final JedisPooled redis;
    private final String prefix;
    private final String instanceId = UUID.randomUUID().toString();
    private final String description;
    private final Duration heartbeatTtl;

    /**
     * @param redis        a connection pool the caller owns and closes
     * @param prefix       of every key, so deployments can share a Redis
     * @param heartbeatTtl how long this instance counts as alive after its last sign of life: longer
     *                     than the longest lookup, or its entries in progress would be taken for abandoned
     */
    public RedisLookupQueue(JedisPooled redis, String prefix, String description, Duration heartbeatTtl) {
        this.redis = redis;
        this.prefix = prefix;
        this.description = description;
        this.heartbeatTtl = heartbeatTtl;
    }

    /** A pool for {@code redis://} or {@code rediss://} URLs. */
    public static JedisPooled connect(URI url) {
        // A short connect timeout: a Redis that is down must not hold up the start or /health.
        return new JedisPooled(new ConnectionPoolConfig(), url, CONNECT_TIMEOUT_MS, SOCKET_TIMEOUT_MS);
    }

    public static String describe(URI url) {
        return "redis " + url.getHost() + ":" + (url.getPort() > 0 ? url.getPort() : 6379);
    }

    private String rotationKey() {
        return prefix + "batches";
    }

    private String linePrefix() {
        return prefix + "batch:";
    }

    private String processingKey(String instance) {
        return prefix + "processing:" + instance;
    }

    private String heartbeatKey(String instance) {
        return prefix + "instance:" + instance;
    }

    private String instancesKey() {
        return prefix + "instances";
    }

    private String filledKey() {
        return prefix + "filled";
    }

    @Override
    public void enqueue(String batchId, List<String> hashes) {
        push(batchId, hashes, false);
    }

    private void push(String batchId, List<String> hashes, boolean atHead) {
        for (int from = 0; from < hashes.size(); from += CHUNK) {
            List<String> args = new ArrayList<>();
            args.add(linePrefix());
            args.add(batchId);
            args.add(atHead ? "head" : "tail");
            args.addAll(hashes.subList(from, Math.min(hashes.size(), from + CHUNK)));
            redis.eval(ENQUEUE, List.of(rotationKey()), args);
        }
    }

    @Override
    public Optional<QueuedLookup> take(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        heartbeat();
        while (true) {
            Object entry = redis.eval(TAKE, List.of(rotationKey(), processingKey(instanceId)), List.of(linePrefix()));
            if (entry instanceof String taken) {
                return Optional.of(QueuedLookup.decode(taken));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), left / 1_000_000)));
        }
    }

    @Override
    public void ack(QueuedLookup entry) {
        redis.lrem(processingKey(instanceId), 1, entry.encode());
    }

    @Override
    public void requeue(QueuedLookup entry, boolean atHead) {
        redis.eval(REQUEUE, List.of(rotationKey(), processingKey(instanceId)),
                List.of(linePrefix(), entry.batchId(), entry.encode(), entry.hash(), atHead ? "head" : "tail"));
    }

    @Override
    public boolean tryClaim(String hash, String owner, Duration ttl) {
        Object claimed = redis.eval(CLAIM, List.of(prefix + "claim:" + hash),
                List.of(owner, String.valueOf(ttl.toMillis())));
        return Long.valueOf(1).equals(claimed);
    }

    @Override
    public void release(String hash, String owner) {
        redis.eval(RELEASE, List.of(prefix + "claim:" + hash), List.of(owner));
    }

    @Override
    public void heartbeat() {
        redis.set(heartbeatKey(instanceId), "alive", SetParams.setParams().px(heartbeatTtl.toMillis()));
        redis.sadd(instancesKey(), instanceId);
    }

    @Override
    public int recoverAbandoned() {
        int moved = 0;
        Set<String> instances = redis.smembers(instancesKey());
        for (String instance : instances) {
            if (instance.equals(instanceId)) {
                continue;
            }
            Object n = redis.eval(RECOVER, List.of(rotationKey(), processingKey(instance), heartbeatKey(instance),
                    instancesKey()), List.of(linePrefix(), instance));
            moved += ((Long) n).intValue();
        }
        return moved;
    }

    @Override
    public boolean needsRefill() {
        return !redis.exists(filledKey());
    }

    @Override
    public void markFilled() {
        redis.set(filledKey(), String.valueOf(System.currentTimeMillis()));
    }

    @Override
    public long size() {
        return lengths().values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public Map<String, Long> lengths() {
        List<?> flat = (List<?>) redis.eval(LENGTHS, List.of(rotationKey()), List.of(linePrefix()));
        Map<String, Long> lengths = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            lengths.put((String) flat.get(i), (Long) flat.get(i + 1));
        }
        return lengths;
    }

    /** Entries this instance has taken and not yet acknowledged. */
    public long inProgress() {
        return redis.llen(processingKey(instanceId));
    }

    @Override
    public String describe() {
        return description;
    }

    /** Says this instance is gone, so whatever it left in progress is recovered at once; the pool stays open. */
    @Override
    public void close() {
        try {
            redis.del(heartbeatKey(instanceId));
        } catch (RuntimeException e) {
            // Redis gone: the key expires by itself
        }
    }
}
