package com.vtbatchsearch.lookup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import redis.clients.jedis.UnifiedJedis;

/**
 * The rate limit of a whole deployment, kept in Redis so every worker of every instance sharing one
 * API key draws from one budget. Each permit is taken by one Lua script, atomically: it drops calls
 * older than the window from a sorted set, checks the day's counter and the pause key, and records the
 * call; the permit that spends the day's budget (or a request after it) sets the pause until 00:00 UTC.
 * Time is Redis's own clock, so instances with skewed clocks still agree. Every key a script touches is
 * passed in KEYS and shares the prefix's hash tag, so this also runs on a clustered Redis.
 */
public final class RedisRateLimiter implements RateLimiter {
    /** Lua: Redis's time in ms, and the calls counted for UTC day {@code day} in the day hash (day, used). */
    private static final String FUNCTIONS = """
            local function now()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            local function usedOn(dayKey, day)
              if tonumber(redis.call('HGET', dayKey, 'day') or '-1') ~= day then return 0 end
              return tonumber(redis.call('HGET', dayKey, 'used') or '0')
            end
            local function setUsed(dayKey, day, used)
              redis.call('HSET', dayKey, 'day', day, 'used', used)
              redis.call('EXPIRE', dayKey, 172800)
            end
            """;

    private static final String ACQUIRE = FUNCTIONS + """
            local now = now()
            local pause = redis.call('PTTL', KEYS[3])
            if pause > 0 then return {0, pause} end
            local day = math.floor(now / 86400000)
            local used = usedOn(KEYS[2], day)
            local untilMidnight = (day + 1) * 86400000 - now
            if used >= tonumber(ARGV[2]) then
              redis.call('SET', KEYS[3], ARGV[5], 'PX', untilMidnight)
              return {0, untilMidnight}
            end
            local window = tonumber(ARGV[4])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
            if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
              local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
              return {0, tonumber(oldest[2]) + window - now}
            end
            redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
            redis.call('PEXPIRE', KEYS[1], window + 1000)
            setUsed(KEYS[2], day, used + 1)
            if used + 1 >= tonumber(ARGV[2]) then redis.call('SET', KEYS[3], ARGV[5], 'PX', untilMidnight) end
            return {1, 0}""";

    private static final String USAGE = FUNCTIONS + """
            local now = now()
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
            return {redis.call('ZCARD', KEYS[1]), usedOn(KEYS[2], math.floor(now / 86400000))}""";

    /** Raises the day's counter to ARGV[1] (never lowers it). */
    private static final String RAISE_DAY = FUNCTIONS + """
            local day = math.floor(now() / 86400000)
            if usedOn(KEYS[1], day) < tonumber(ARGV[1]) then setUsed(KEYS[1], day, tonumber(ARGV[1])) end
            return 1""";

    /** Sets a pause unless a longer one is in force. */
    private static final String PAUSE = """
            if redis.call('PTTL', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
            return 1""";

    private final UnifiedJedis redis;
    private final String window;
    private final String dayKey;
    private final String pauseKey;
    private final int perMinute;
    private final int perDay;
    private final Clock clock;
    private final Consumer<Instant> recorder;
    private final String instance = UUID.randomUUID().toString();

    /**
     * @param recorder told of every permit handed out, to keep the call log
     */
    public RedisRateLimiter(UnifiedJedis redis, String prefix, int perMinute, int perDay, Clock clock,
            Consumer<Instant> recorder) {
        this.redis = redis;
        this.window = prefix + "rate:window";
        this.dayKey = prefix + "rate:today";
        this.pauseKey = prefix + "rate:pause";
        this.perMinute = perMinute;
        this.perDay = perDay;
        this.clock = clock;
        this.recorder = recorder;
    }

    @Override
    public Optional<Instant> tryAcquire() {
        List<?> answer = (List<?>) redis.eval(ACQUIRE, List.of(window, dayKey, pauseKey),
                List.of(String.valueOf(perMinute), String.valueOf(perDay), instance + ":" + UUID.randomUUID(),
                        String.valueOf(WINDOW.toMillis()), RateLimiter.dailyBudgetSpent(perDay)));
        Instant now = clock.instant();
        if (((Long) answer.get(0)) == 1L) {
            recorder.accept(now);
            return Optional.empty();
        }
        return Optional.of(now.plusMillis(Math.max(1, (Long) answer.get(1))));
    }

    @Override
    public void pauseUntil(Instant until, String reason) {
        long millis = Duration.between(clock.instant(), until).toMillis();
        if (millis > 0) {
            redis.eval(PAUSE, List.of(pauseKey), List.of(String.valueOf(millis), reason));
        }
    }

    @Override
    public Optional<Pause> pause() {
        long millis = redis.pttl(pauseKey);
        String reason = millis > 0 ? redis.get(pauseKey) : null;
        return reason == null ? Optional.empty() : Optional.of(new Pause(clock.instant().plusMillis(millis), reason));
    }

    @Override
    public void exhaustToday() {
        redis.eval(RAISE_DAY, List.of(dayKey), List.of(String.valueOf(perDay)));
    }

    /** Raises the day's counter to {@code callsToday} when Redis lost it (a restart without persistence). */
    public void seedToday(int callsToday) {
        redis.eval(RAISE_DAY, List.of(dayKey), List.of(String.valueOf(callsToday)));
    }

    @Override
    public int usedThisMinute() {
        return usage(0);
    }

    @Override
    public int usedToday() {
        return usage(1);
    }

    private int usage(int index) {
        List<?> answer = (List<?>) redis.eval(USAGE, List.of(window, dayKey), List.of(String.valueOf(WINDOW.toMillis())));
        return ((Long) answer.get(index)).intValue();
    }

    @Override
    public int perMinute() {
        return perMinute;
    }

    @Override
    public int perDay() {
        return perDay;
    }
}
