package com.vtbatchsearch.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.lookup.CallLogPruner;
import com.vtbatchsearch.lookup.CallLogRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.PostgresDatabase;
import com.vtbatchsearch.testing.RedisProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the wiring adds beyond the parts: housekeeping on a schedule and warnings about risky set-ups. */
class ApplicationTest {
    @TempDir
    Path dataDir;

    @Test
    void theCallLogIsPrunedWithRedisToo() throws Exception {
        try (Database database = Database.openSqlite(dataDir)) {
            CallLogRepository callLog = new CallLogRepository(database);
            callLog.record(Instant.now().minus(CallLogPruner.KEEP).minus(Duration.ofDays(1)));
            callLog.record(Instant.now().minus(Duration.ofHours(1)));
        }
        try (FakeVirusTotal vt = new FakeVirusTotal(); RedisProcess redis = RedisProcess.start();
                Application app = Instances.start(Instances.settings(vt, dataDir, "REDIS_URL", redis.url()))) {
            CallLogRepository callLog = new CallLogRepository(app.database());
            Instances.await("the call older than the limiters read pruned", Duration.ofSeconds(10),
                    () -> callLog.since(Instant.EPOCH).size() == 1);
        }
    }

    @Test
    void postgresqlWithoutRedisWarnsThatSeveralInstancesNeedRedis() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(Application.class.getName());
        log.addHandler(handler);
        try (PostgresDatabase postgres = PostgresDatabase.create()) {
            try (Application app = Instances.start(Map.of("DB_URL", postgres.jdbcUrl(), "DB_USER",
                    PostgresDatabase.USER, "DATA_DIR", dataDir.toString()))) {
                assertTrue(app.database().isPostgres());
            }
            assertEquals(1, warnings.stream().filter(w -> w != null && w.contains("REDIS_URL is not set")
                    && w.contains("several instances")).count(), String.valueOf(warnings));
            warnings.clear();
            try (Application app = Instances.start(Map.of("DATA_DIR", dataDir.toString()))) {
                assertFalse(app.database().isPostgres());
            }
            assertTrue(warnings.stream().noneMatch(w -> w != null && w.contains("REDIS_URL is not set")),
                    "one instance on SQLite needs no Redis");
        } finally {
            log.removeHandler(handler);
        }
    }
}
