package com.vtbatchsearch.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * Runs a unit of work in one transaction and runs it again when the database aborted it only to
 * break a conflict with another transaction: a PostgreSQL deadlock (SQLSTATE 40P01) or serialization
 * failure (40001), or SQLite still busy or locked after its busy timeout. Such an abort says nothing
 * about the work itself, so a few tries after a short random back-off let it through; the jitter
 * keeps two victims of one deadlock from meeting again in step.
 */
final class Transactions {
    private static final Logger LOG = Logger.getLogger(Transactions.class.getName());
    static final int MAX_TRIES = 6;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(10);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(500);
    private static final Set<String> RETRYABLE_STATES = Set.of("40P01", "40001");
    private static final int SQLITE_BUSY = 5;
    private static final int SQLITE_LOCKED = 6;

    /** Where the transaction's connection comes from. */
    @FunctionalInterface
    interface ConnectionSource {
        Connection get() throws SQLException;
    }

    private Transactions() {
    }

    static <T> T run(ConnectionSource connections, String failure, Database.Work<T> work) {
        for (int tries = 1; ; tries++) {
            try {
                return once(connections, work);
            } catch (SQLException e) {
                if (!isRetryable(e) || tries >= MAX_TRIES) {
                    throw new StoreException(failure, e);
                }
                int tried = tries;
                LOG.fine(() -> failure + ": transaction aborted (" + e.getMessage() + "), try " + tried + " of "
                        + MAX_TRIES);
                backOff(tries, failure, e);
            }
        }
    }

    private static <T> T once(ConnectionSource connections, Database.Work<T> work) throws SQLException {
        try (Connection c = connections.get()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        }
    }

    /** True when the database aborted the transaction to resolve a conflict: running it again may succeed. */
    static boolean isRetryable(SQLException e) {
        for (Throwable t : e) {
            if (t instanceof SQLException sql && (isConflictState(sql.getSQLState()) || isSqliteBusy(sql))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isConflictState(String sqlState) {
        return sqlState != null && RETRYABLE_STATES.contains(sqlState);
    }

    private static boolean isSqliteBusy(SQLException e) {
        if (!(e instanceof org.sqlite.SQLiteException)) {
            return false;
        }
        int primary = e.getErrorCode() & 0xff; // extended result codes keep the primary one in the low byte
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
    }

    private static void backOff(int tries, String failure, SQLException cause) {
        long ceiling = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << (tries - 1));
        long millis = ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            StoreException stopped = new StoreException(failure + " (interrupted while waiting to try again)", cause);
            throw stopped;
        }
    }
}
