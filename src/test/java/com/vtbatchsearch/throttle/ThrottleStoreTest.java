package com.vtbatchsearch.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.Databases;
import com.vtbatchsearch.testing.RedisCluster;
import com.vtbatchsearch.testing.SharedRedis;
import com.vtbatchsearch.throttle.ThrottleStore.Charge;
import com.vtbatchsearch.throttle.ThrottleStore.Window;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.UnifiedJedis;

/**
 * Each store as two instances of a deployment use it: two store objects with connections of their own
 * on one SQLite file, one PostgreSQL database, one Redis, or one three-master Redis cluster.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(ThrottleStoreTest.Engine.class)
class ThrottleStoreTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private static final Window HOURLY = new Window("batches", 25, Duration.ofHours(1));

    enum Engine { SQLITE, POSTGRESQL, REDIS, REDIS_CLUSTER }

    @RegisterExtension
    static final SharedRedis REDIS = new SharedRedis();
    @RegisterExtension
    static final RedisCluster CLUSTER = new RedisCluster();
    @RegisterExtension
    static final Databases DATABASES = new Databases();

    @Parameter
    Engine engine;

    @TempDir
    Path dataDir;

    private final List<Database> databases = new ArrayList<>();
    private String prefix;
    private ThrottleStore first;
    private ThrottleStore second;

    @BeforeEach
    void open() {
        prefix = "{vt-batch-search-test:" + UUID.randomUUID() + "}:";
        boolean redis = engine == Engine.REDIS || engine == Engine.REDIS_CLUSTER;
        String url = redis ? null : DATABASES.freshUrl(Databases.Engine.valueOf(engine.name()), dataDir);
        for (int i = 0; i < 2; i++) {
            ThrottleStore store = engine == Engine.REDIS ? new RedisThrottleStore(REDIS.pool(), prefix)
                    : engine == Engine.REDIS_CLUSTER ? new RedisThrottleStore(CLUSTER.client(), prefix)
                    : new ClientChargeRepository(opened(Databases.open(url)));
            if (i == 0) {
                first = store;
            } else {
                second = store;
            }
        }
    }

    private Database opened(Database database) {
        databases.add(database);
        return database;
    }

    @AfterEach
    void close() {
        databases.forEach(Database::close);
    }

    @Test
    void twoInstancesChargingOneClientAtOnceNeverGrantMoreThanTheLimit() throws Exception {
        int threads = 8;
        int attemptsEach = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ThrottleStore store = t % 2 == 0 ? first : second;
            results.add(pool.submit(() -> {
                start.await();
                int granted = 0;
                for (int i = 0; i < attemptsEach; i++) {
                    if (store.charge("10.0.0.1", HOURLY, 1, T0).granted()) {
                        granted++;
                    }
                }
                return granted;
            }));
        }
        start.countDown();
        int granted = 0;
        for (Future<Integer> result : results) {
            granted += result.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(HOURLY.limit(), granted, "64 attempts from two instances, a limit of 25");
        Charge next = first.charge("10.0.0.1", HOURLY, 1, T0.plusSeconds(1));
        assertFalse(next.granted());
        assertEquals(25, next.used());
    }

    @Test
    void amountsAddUpAndTheWaitIsUntilEnoughHasLeftTheWindow() {
        Window daily = new Window("new-hashes", 100, Duration.ofDays(1));
        assertTrue(first.charge("c", daily, 70, T0).granted());
        assertTrue(second.charge("c", daily, 20, T0.plus(Duration.ofHours(2))).granted());
        Charge refused = first.charge("c", daily, 11, T0.plus(Duration.ofHours(3)));
        assertFalse(refused.granted());
        assertEquals(90, refused.used());
        assertEquals(Duration.ofHours(21), refused.retryAfter(), "room once the 70 leave, at T0 + 24 h");
        Charge tooBig = first.charge("c", daily, 101, T0.plus(Duration.ofHours(3)));
        assertFalse(tooBig.granted());
        assertEquals(Duration.ofDays(1), tooBig.retryAfter());
        assertTrue(second.charge("c", daily, 10, T0.plus(Duration.ofHours(3))).granted(), "the refusals took nothing");
        assertTrue(first.charge("other", daily, 100, T0.plus(Duration.ofHours(3))).granted(), "clients count apart");
        assertTrue(first.charge("c", daily, 70, T0.plus(Duration.ofHours(24))).granted(), "the 70 left the window");
    }

    @Test
    void aRefundGivesTheUnitsBackToEveryInstance() {
        Window one = new Window("batches", 1, Duration.ofHours(1));
        Charge charge = first.charge("c", one, 1, T0);
        assertTrue(charge.granted());
        assertFalse(second.charge("c", one, 1, T0).granted());
        first.refund(charge);
        assertTrue(second.charge("c", one, 1, T0).granted());
    }

    @Test
    void chargesOfClientsThatWentAwayArePruned() throws SQLException {
        if (engine == Engine.REDIS || engine == Engine.REDIS_CLUSTER) {
            first.charge("gone", HOURLY, 1, T0);
            UnifiedJedis redis = engine == Engine.REDIS ? REDIS.pool() : CLUSTER.client();
            long ttl = redis.pttl(prefix + "throttle:batches:gone");
            assertTrue(ttl > 0 && ttl <= HOURLY.length().toMillis(), "the set expires with its window: " + ttl);
            return;
        }
        for (int i = 0; i < 5; i++) {
            first.charge("gone-" + i, HOURLY, 1, T0);
        }
        assertEquals(5, rows());
        second.charge("new", HOURLY, 1, T0.plus(Duration.ofHours(2)));
        assertEquals(1, rows(), "a charge an hour later pruned every client's expired rows");
    }

    private long rows() throws SQLException {
        try (Connection c = databases.get(0).connection();
                ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM client_charges")) {
            r.next();
            return r.getLong(1);
        }
    }
}
