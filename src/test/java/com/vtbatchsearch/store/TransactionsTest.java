package com.vtbatchsearch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.BatchUpdateException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

class TransactionsTest {
    @TempDir
    Path dataDir;

    private Database database;

    @BeforeEach
    void open() {
        database = Database.openSqlite(dataDir);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private static SQLException deadlock() {
        return new SQLException("ERROR: deadlock detected", "40P01");
    }

    @Test
    void aTransactionAbortedByADeadlockIsRunAgainAndItsFirstTriesLeaveNothingBehind() {
        AtomicInteger tries = new AtomicInteger();

        String result = database.inTransaction("cannot do it", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO api_calls (called_at) VALUES (?)")) {
                s.setLong(1, tries.incrementAndGet());
                s.executeUpdate();
            }
            if (tries.get() < 3) {
                throw tries.get() == 1 ? deadlock() : new SQLException("could not serialize access", "40001");
            }
            return "done";
        });

        assertEquals("done", result);
        assertEquals(3, tries.get());
        assertEquals(java.util.List.of(3L), database.inTransaction("read", TransactionsTest::calls),
                "only the committed try's row is stored");
    }

    private static java.util.List<Long> calls(java.sql.Connection c) throws SQLException {
        java.util.List<Long> calls = new java.util.ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT called_at FROM api_calls");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                calls.add(r.getLong(1));
            }
        }
        return calls;
    }

    @Test
    void aDeadlockThatKeepsComingEndsAfterABoundedNumberOfTries() {
        AtomicInteger tries = new AtomicInteger();
        SQLException cause = deadlock();

        StoreException e = assertThrows(StoreException.class, () -> database.inTransaction("cannot store it", c -> {
            tries.incrementAndGet();
            throw cause;
        }));

        assertEquals(Transactions.MAX_TRIES, tries.get());
        assertEquals("cannot store it", e.getMessage());
        assertSame(cause, e.getCause());
    }

    @Test
    void anyOtherFailureIsNotRetried() {
        AtomicInteger tries = new AtomicInteger();

        assertThrows(StoreException.class, () -> database.inTransaction("cannot store it", c -> {
            tries.incrementAndGet();
            throw new SQLException("duplicate key", "23505");
        }));

        assertEquals(1, tries.get());
    }

    @Test
    void deadlocksInsideABatchAndABusySqliteAreRetryable() {
        BatchUpdateException batch = new BatchUpdateException("Batch entry 3 was aborted", "40P01", new int[0]);
        BatchUpdateException wrapped = new BatchUpdateException("Batch entry 0 was aborted", null, new int[0]);
        wrapped.setNextException(deadlock());

        assertTrue(Transactions.isRetryable(batch));
        assertTrue(Transactions.isRetryable(wrapped));
        assertTrue(Transactions.isRetryable(new SQLiteException("[SQLITE_BUSY] database is locked",
                SQLiteErrorCode.SQLITE_BUSY)));
        assertFalse(Transactions.isRetryable(new SQLiteException("[SQLITE_CONSTRAINT] UNIQUE",
                SQLiteErrorCode.SQLITE_CONSTRAINT)));
        assertFalse(Transactions.isRetryable(new SQLException("connection refused", "08001")));
    }
}
