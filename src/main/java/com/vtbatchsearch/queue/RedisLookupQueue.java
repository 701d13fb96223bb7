package com.vtbatchsearch.queue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * The queue in Redis, shared by every app instance on it. A rotation list holds the batches with
 * work, each once, and a hash their cursors; each take (one Lua script, so atomic) pops the batch at
 * the head and records the turn in this instance's processing set, scored with Redis's time, where it
 * (and then the lookup it starts) stays until acknowledged. A process that dies loses nothing: once
 * its heartbeat key expires, any instance gives its batches their places back; an entry a live
 * instance left unacknowledged longer than a bound (a failed acknowledgement during a Redis outage) is
 * given back too. Claims are keys with a TTL.
 *
 * <p>Every key starts with the prefix, whose hash tag ({@code {vtbs}}) puts them all in one slot, and
 * every key a script touches is passed in KEYS, so the queue runs on a clustered Redis as on a single
 * server. {@code redis://} and {@code rediss://} (TLS) URLs work.
 */
public final class RedisLookupQueue implements LookupQueue {
    /** The prefix of every Redis key of a deployment; its hash tag keeps them in one cluster slot. */
    public static final String DEFAULT_PREFIX = "{vtbs}:";
    private static final int SOCKET_TIMEOUT_MS = 10_000;
    private static final int CONNECT_TIMEOUT_MS = 2_000;
    private static final int PROBE_TIMEOUT_MS = 1_000;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Logger LOG = Logger.getLogger(RedisLookupQueue.class.getName());

    /** Lua: the time in ms by Redis's clock, and giving a batch back its place (lowering its cursor). */
    private static final String FUNCTIONS = """
            local function now()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            local function place(rotation, batch)
              if redis.call('LPOS', rotation, batch) then return 0 end
              redis.call('RPUSH', rotation, batch)
              return 1
            end
            local function headOfLine(cursors, batch, position)
              local cursor = redis.call('HGET', cursors, batch)
              if cursor and tonumber(cursor) >= position then redis.call('HSET', cursors, batch, position - 1) end
            end
            local function giveBack(rotation, cursors, entry)
              local batch, position = string.match(entry, '^(%S+) (%d+) ')
              if batch then headOfLine(cursors, batch, tonumber(position)) else batch = entry end
              place(rotation, batch)
            end
            """;

    private static final String ENQUEUE = FUNCTIONS + """
            redis.call('HDEL', KEYS[2], ARGV[1])
            return place(KEYS[1], ARGV[1])""";

    private static final String RECONCILE = """
            local placed = {}
            for _, batch in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do placed[batch] = true end
            local added = 0
            for i = 1, #ARGV do
              if not placed[ARGV[i]] then
                redis.call('RPUSH', KEYS[1], ARGV[i])
                placed[ARGV[i]] = true
                added = added + 1
              end
            end
            return added""";

    private static final String TAKE = FUNCTIONS + """
            local batch = redis.call('LPOP', KEYS[1])
            if not batch then return false end
            redis.call('ZADD', KEYS[3], now(), batch)
            return {batch, redis.call('HGET', KEYS[2], batch) or '-1'}""";

    private static final String START = FUNCTIONS + """
            redis.call('ZREM', KEYS[3], ARGV[1])
            redis.call('ZADD', KEYS[3], now(), ARGV[2])
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
            return place(KEYS[1], ARGV[1])""";

    private static final String PASS = FUNCTIONS + """
            redis.call('ZREM', KEYS[3], ARGV[1])
            redis.call('HDEL', KEYS[2], ARGV[1])
            if ARGV[2] == '1' then place(KEYS[1], ARGV[1]) end
            return 1""";

    private static final String REQUEUE = FUNCTIONS + """
            redis.call('ZREM', KEYS[3], ARGV[2])
            if ARGV[4] == 'head' then headOfLine(KEYS[2], ARGV[1], tonumber(ARGV[3])) end
            return place(KEYS[1], ARGV[1])""";

    /**
     * Gives back the places of an instance's entries in progress: all of them when its heartbeat is
     * gone (it died), else those older than ARGV[2] ms (stranded by a lost acknowledgement).
     */
    private static final String RECOVER = FUNCTIONS + """
            local dead = redis.call('EXISTS', KEYS[4]) == 0
            local entries
            if dead then
              entries = redis.call('ZRANGE', KEYS[3], 0, -1)
            else
              entries = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now() - tonumber(ARGV[2]))
            end
            for _, entry in ipairs(entries) do
              giveBack(KEYS[1], KEYS[2], entry)
              redis.call('ZREM', KEYS[3], entry)
            end
            if dead then redis.call('SREM', KEYS[5], ARGV[1]) end
            return #entries""";

    private static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0""";

    private static final String CLAIM = """
            local current = redis.call('GET', KEYS[1])
            if current and current ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1""";

    private final UnifiedJedis redis;
    private final String prefix;
    private final String instanceId = UUID.randomUUID().toString();
    private final String description;
    private final Duration heartbeatTtl;
    private final Duration strandedAfter;

    /**
     * @param redis        a connection the caller owns and closes (a pool, or a cluster client)
     * @param prefix       of every key, so deployments can share a Redis; it should hold a hash tag
     *                     such as {@code {vtbs}:} for a clustered Redis
     * @param heartbeatTtl how long this instance counts as alive after its last sign of life: longer
     *                     than the longest lookup, or its entries in progress would be taken for abandoned
     */
    public RedisLookupQueue(UnifiedJedis redis, String prefix, String description, Duration heartbeatTtl) {
        this(redis, prefix, description, heartbeatTtl, Duration.ofMinutes(10));
    }

    /**
     * @param strandedAfter how long an entry of a live instance may stay unacknowledged before its
     *                      batch is given its place back. Giving it back early costs nothing (the
     *                      hash's claim still keeps others from asking twice), so it only bounds how long
     *                      a lost acknowledgement keeps a batch out of turn.
     */
    public RedisLookupQueue(UnifiedJedis redis, String prefix, String description, Duration heartbeatTtl,
            Duration strandedAfter) {
        this.redis = redis;
        this.prefix = prefix;
        this.description = description;
        this.heartbeatTtl = heartbeatTtl;
        this.strandedAfter = strandedAfter;
    }

    /**
     * A connection for {@code redis://} or {@code rediss://} URLs: a cluster client when the server
     * says it is part of a cluster ({@code INFO cluster}), otherwise a pool to the one server. A Redis
     * that does not answer at start-up is taken for a single server, so the app still starts (and
     * reports the queue down until Redis answers); a cluster client needs the slot map, which only a
     * reachable cluster gives, so a clustered Redis must answer when the app starts.
     */
    public static UnifiedJedis connect(URI url) {
        HostAndPort node = JedisURIHelper.getHostAndPort(url);
        JedisClientConfig config = DefaultJedisClientConfig.builder()
                .user(JedisURIHelper.getUser(url))
                .password(JedisURIHelper.getPassword(url))
                .database(JedisURIHelper.getDBIndex(url))
                .ssl(JedisURIHelper.isRedisSSLScheme(url))
                .connectionTimeoutMillis(CONNECT_TIMEOUT_MS) // a Redis that is down must not hold up the start or /health
                .socketTimeoutMillis(SOCKET_TIMEOUT_MS)
                .build();
        JedisClientConfig probe = DefaultJedisClientConfig.builder()
                .user(JedisURIHelper.getUser(url))
                .password(JedisURIHelper.getPassword(url))
                .ssl(JedisURIHelper.isRedisSSLScheme(url))
                .connectionTimeoutMillis(CONNECT_TIMEOUT_MS)
                .socketTimeoutMillis(PROBE_TIMEOUT_MS) // a Redis that accepts and never answers must not hold up the start
                .build();
        if (isCluster(node, probe)) {
            return new JedisCluster(Set.of(node), config);
        }
        return new JedisPooled(node, config);
    }

    private static boolean isCluster(HostAndPort node, JedisClientConfig config) {
        try (Jedis probe = new Jedis(node, config)) {
            return probe.info("cluster").contains("cluster_enabled:1");
        } catch (RuntimeException e) {
            LOG.warning(() -> "Redis at " + node + " did not answer at start-up (" + e.getMessage() + "); connecting"
                    + " as to a single server. A clustered Redis is recognised when the app starts while it answers.");
            return false;
        }
    }

    public static String describe(URI url) {
        return "redis " + url.getHost() + ":" + (url.getPort() > 0 ? url.getPort() : 6379);
    }

    private String rotationKey() {
        return prefix + "batches";
    }

    private String cursorsKey() {
        return prefix + "cursors";
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

    private String claimKey(String hash) {
        return prefix + "claim:" + hash;
    }

    private List<String> turnKeys() {
        return List.of(rotationKey(), cursorsKey(), processingKey(instanceId));
    }

    @Override
    public void enqueue(String batchId) {
        redis.eval(ENQUEUE, List.of(rotationKey(), cursorsKey()), List.of(batchId));
    }

    @Override
    public int reconcile(List<String> batchIds) {
        if (batchIds.isEmpty()) {
            return 0;
        }
        return ((Long) redis.eval(RECONCILE, List.of(rotationKey()), batchIds)).intValue();
    }

    @Override
    public Optional<Turn> take(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        heartbeat();
        while (true) {
            if (redis.eval(TAKE, turnKeys(), List.of()) instanceof List<?> taken) {
                return Optional.of(new Turn((String) taken.get(0), Integer.parseInt((String) taken.get(1))));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), left / 1_000_000)));
        }
    }

    @Override
    public QueuedLookup start(Turn turn, String hash, int position) {
        QueuedLookup entry = new QueuedLookup(turn.batchId(), hash, position);
        redis.eval(START, turnKeys(), List.of(turn.batchId(), entry.encode(), String.valueOf(position)));
        return entry;
    }

    @Override
    public void pass(Turn turn, boolean stillOpen) {
        redis.eval(PASS, turnKeys(), List.of(turn.batchId(), stillOpen ? "1" : "0"));
    }

    @Override
    public void ack(QueuedLookup entry) {
        redis.zrem(processingKey(instanceId), entry.encode());
    }

    @Override
    public void requeue(QueuedLookup entry, boolean atHead) {
        redis.eval(REQUEUE, turnKeys(), List.of(entry.batchId(), entry.encode(), String.valueOf(entry.position()),
                atHead ? "head" : "tail"));
    }

    @Override
    public boolean tryClaim(String hash, String owner, Duration ttl) {
        Object claimed = redis.eval(CLAIM, List.of(claimKey(hash)), List.of(owner, String.valueOf(ttl.toMillis())));
        return Long.valueOf(1).equals(claimed);
    }

    @Override
    public void release(String hash, String owner) {
        redis.eval(RELEASE, List.of(claimKey(hash)), List.of(owner));
    }

    @Override
    public void heartbeat() {
        redis.set(heartbeatKey(instanceId), "alive", SetParams.setParams().px(heartbeatTtl.toMillis()));
        redis.sadd(instancesKey(), instanceId);
    }

    @Override
    public int recoverAbandoned() {
        int moved = 0;
        for (String instance : redis.smembers(instancesKey())) {
            Object n = redis.eval(RECOVER, List.of(rotationKey(), cursorsKey(), processingKey(instance),
                    heartbeatKey(instance), instancesKey()), List.of(instance, String.valueOf(strandedAfter.toMillis())));
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
        return redis.llen(rotationKey());
    }

    @Override
    public boolean isQueued(String batchId) {
        return redis.lpos(rotationKey(), batchId) != null;
    }

    /** Turns and lookups this instance has taken and not yet acknowledged. */
    public long inProgress() {
        return redis.zcard(processingKey(instanceId));
    }

    @Override
    public String describe() {
        return description;
    }

    /** Says this instance is gone, so whatever it left in progress is recovered at once; the connection stays open. */
    @Override
    public void close() {
        try {
            redis.del(heartbeatKey(instanceId));
        } catch (RuntimeException e) {
            // Redis gone: the key expires by itself
        }
    }
}
