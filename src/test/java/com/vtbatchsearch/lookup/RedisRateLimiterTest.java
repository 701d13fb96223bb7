package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.vtbatchsearch.testing.SharedRedis;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.UnifiedJedis;

/**
 * The shared limiter against a real Redis of the test's own (never the machine's shared Redis). Two
 * limiter objects on one prefix stand for two app instances sharing one API key.
 */
class RedisRateLimiterTest {
    private static final Duration CLOSE = Duration.ofMillis(500);

    @RegisterExtension
    static final SharedRedis REDIS = new SharedRedis();

    private final Clock clock = Clock.systemUTC();
    private final List<Instant> recorded = Collections.synchronizedList(new ArrayList<>());
    private String prefix;

    @BeforeEach
    void newPrefix() {
        prefix = "{vt-batch-search-test:" + UUID.randomUUID() + "}:";
    }

    /** The Redis under test: a single server here, a cluster in the subclass. */
    UnifiedJedis redis() {
        return REDIS.pool();
    }

    private RedisRateLimiter limiter(int perMinute, int perDay) {
        return new RedisRateLimiter(redis(), prefix, perMinute, perDay, clock, recorded::add);
    }

    private static void assertClose(Instant expected, Instant actual, Duration tolerance, String what) {
        Duration off = Duration.between(expected, actual).abs();
        assertTrue(off.compareTo(tolerance) <= 0, what + ": expected about " + expected + ", got " + actual
                + " (" + off.toMillis() + " ms off)");
    }

    @Test
    void twoInstancesHammeringFromEightThreadsTakeExactlyThePerMinuteLimit() throws Exception {
        RedisRateLimiter first = limiter(50, 1_000_000);
        RedisRateLimiter second = limiter(50, 1_000_000);
        AtomicInteger granted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Instant> nextFree = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                RateLimiter mine = t % 2 == 0 ? first : second;
                done.add(pool.submit(() -> {
                    go.await();
                    long end = System.nanoTime() + Duration.ofMillis(800).toNanos();
                    while (System.nanoTime() < end) {
                        Optional<Instant> next = mine.tryAcquire();
                        if (next.isEmpty()) {
                            granted.incrementAndGet();
                        } else {
                            refused.incrementAndGet();
                            nextFree.add(next.get());
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(50, granted.get(), "permits handed out in one minute by both instances together");
        assertEquals(50, recorded.size(), "each permit recorded once");
        assertTrue(refused.get() > 50, "the threads did hammer: only " + refused.get() + " refusals");
        Instant firstPermit = recorded.stream().min(Instant::compareTo).orElseThrow();
        Instant expectedFree = firstPermit.plus(RateLimiter.WINDOW);
        assertClose(expectedFree, first.tryAcquire().orElseThrow(), CLOSE, "next free instant (first)");
        assertClose(expectedFree, second.tryAcquire().orElseThrow(), CLOSE, "next free instant (second)");
        for (Instant next : List.copyOf(nextFree)) {
            assertTrue(!next.isBefore(firstPermit.plusSeconds(60)), "a refusal named " + next
                    + ", long before the oldest permit leaves the window");
        }
        assertEquals(50, first.usedThisMinute());
        assertEquals(50, second.usedThisMinute());
        assertEquals(50, second.usedToday());
    }

    @Test
    void theDailyBudgetIsSharedAndEndsAtTheNextUtcMidnight() {
        RedisRateLimiter first = limiter(100, 3);
        RedisRateLimiter second = limiter(100, 3);

        assertEquals(Optional.empty(), first.tryAcquire());
        assertEquals(Optional.empty(), second.tryAcquire());
        assertEquals(Optional.empty(), first.tryAcquire());
        Optional<Instant> refused = second.tryAcquire();

        Instant midnight = RateLimiter.startOfNextUtcDay(clock.instant());
        assertClose(midnight, refused.orElseThrow(), CLOSE, "the next permit of the day");
        assertClose(midnight, first.tryAcquire().orElseThrow(), CLOSE, "the other instance's next permit");
        assertEquals(3, first.usedToday());
        assertEquals(3, recorded.size());
    }

    @Test
    void spendingTheSharedDailyBudgetPausesEveryInstanceUntilUtcMidnightSayingWhy() {
        RedisRateLimiter first = limiter(100, 2);
        RedisRateLimiter second = limiter(100, 2);
        assertEquals(Optional.empty(), first.tryAcquire());
        assertEquals(Optional.empty(), second.pause());

        assertEquals(Optional.empty(), second.tryAcquire());

        RateLimiter.Pause pause = first.pause().orElseThrow();
        assertEquals("the day's budget (VT_REQUESTS_PER_DAY = 2) is spent", pause.reason());
        assertClose(RateLimiter.startOfNextUtcDay(clock.instant()), pause.until(), CLOSE, "the pause's end");
    }

    @Test
    void aBudgetSpentOtherwisePausesAtTheNextRequest() {
        RedisRateLimiter limiter = limiter(100, 10);
        limiter.seedToday(10);
        assertEquals(Optional.empty(), limiter.pause());

        assertTrue(limiter.tryAcquire().isPresent());

        assertEquals("the day's budget (VT_REQUESTS_PER_DAY = 10) is spent", limiter.pause().orElseThrow().reason());
    }

    @Test
    void aPauseIsSharedByEveryInstance() {
        RedisRateLimiter first = limiter(100, 1_000);
        RedisRateLimiter second = limiter(100, 1_000);
        Instant until = clock.instant().plusSeconds(30);
        assertEquals(Optional.empty(), second.pause());

        first.pauseUntil(until, "VirusTotal answered 429");

        RateLimiter.Pause pause = second.pause().orElseThrow();
        assertEquals("VirusTotal answered 429", pause.reason());
        assertClose(until, pause.until(), CLOSE, "pause end seen by the other instance");
        assertClose(until, second.tryAcquire().orElseThrow(), CLOSE, "next permit during the pause");
        assertTrue(recorded.isEmpty(), "no permit during the pause");
    }

    @Test
    void aShorterPauseDoesNotShortenALongerOneButALongerOneExtendsIt() {
        RedisRateLimiter first = limiter(100, 1_000);
        RedisRateLimiter second = limiter(100, 1_000);
        Instant longEnd = clock.instant().plusSeconds(600);
        first.pauseUntil(longEnd, "daily quota spent");

        second.pauseUntil(clock.instant().plusSeconds(5), "429");

        RateLimiter.Pause pause = first.pause().orElseThrow();
        assertEquals("daily quota spent", pause.reason());
        assertClose(longEnd, pause.until(), CLOSE, "the longer pause is kept");

        Instant longerEnd = clock.instant().plusSeconds(3_600);
        second.pauseUntil(longerEnd, "key rejected");

        pause = first.pause().orElseThrow();
        assertEquals("key rejected", pause.reason());
        assertClose(longerEnd, pause.until(), CLOSE, "the longer pause wins");

        first.pauseUntil(clock.instant().minusSeconds(5), "in the past");
        assertEquals("key rejected", first.pause().orElseThrow().reason());
    }

    @Test
    void permitsResumeWhenThePauseEnds() throws InterruptedException {
        RedisRateLimiter limiter = limiter(100, 1_000);
        limiter.pauseUntil(clock.instant().plusMillis(300), "short");
        assertTrue(limiter.tryAcquire().isPresent());

        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (limiter.pause().isPresent()) {
            if (System.nanoTime() > deadline) {
                fail("the pause did not end");
            }
            Thread.sleep(20);
        }

        assertEquals(Optional.empty(), limiter.tryAcquire());
    }

    @Test
    void exhaustTodaySpendsTheSharedDailyBudget() {
        RedisRateLimiter first = limiter(100, 500);
        RedisRateLimiter second = limiter(100, 500);
        assertEquals(Optional.empty(), first.tryAcquire());

        first.exhaustToday();

        assertEquals(500, second.usedToday());
        assertClose(RateLimiter.startOfNextUtcDay(clock.instant()), second.tryAcquire().orElseThrow(), CLOSE,
                "the next permit");
        assertEquals(1, recorded.size());
    }

    @Test
    void seedTodayRaisesTheDailyCountButNeverLowersIt() {
        RedisRateLimiter limiter = limiter(100, 10);

        limiter.seedToday(7);
        assertEquals(7, limiter.usedToday());

        limiter.seedToday(3);
        assertEquals(7, limiter.usedToday(), "a lower seed does not lower the count");

        assertEquals(Optional.empty(), limiter.tryAcquire());
        assertEquals(8, limiter.usedToday());
        assertEquals(1, limiter.usedThisMinute(), "seeding does not fill the minute");

        limiter.seedToday(10);
        assertTrue(limiter.tryAcquire().isPresent(), "the seeded budget is spent");
    }

    @Test
    void limitersOnDifferentPrefixesAreIndependent() {
        RedisRateLimiter limiter = limiter(1, 1_000);
        RedisRateLimiter other = new RedisRateLimiter(redis(), prefix + "other:", 1, 1_000, clock, at -> { });
        limiter.pauseUntil(clock.instant().plusSeconds(60), "429");

        assertEquals(Optional.empty(), other.tryAcquire());
        assertFalse(other.pause().isPresent());
        assertEquals(1, limiter.perMinute());
        assertEquals(1_000, limiter.perDay());
    }
}
