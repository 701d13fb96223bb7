package com.vtbatchsearch.throttle;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The budgets in the database, for deployments without Redis: one row per granted charge (client,
 * window, time, amount). A charge is one transaction that holds the client's lock while it prunes,
 * sums and inserts, so a twin instance on the same PostgreSQL database waits for it instead of
 * spending the same room (on SQLite every write transaction is exclusive anyway). Rows of clients
 * that never come back are pruned at most once a minute by whichever charge comes along.
 */
public final class ClientChargeRepository implements ThrottleStore {
    private static final Logger LOG = Logger.getLogger(ClientChargeRepository.class.getName());
    /** First key of the advisory locks that serialise one client's charges; the second is the client's hash. */
    private static final int LOCK_CLASS = 0x7674_7468;
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    private final Database database;
    /** When each window's rows are next pruned of clients that went away (one entry per window, not per client). */
    private final Map<String, Instant> nextPrune = new ConcurrentHashMap<>();

    public ClientChargeRepository(Database database) {
        this.database = database;
    }

    @Override
    public Charge charge(String client, Window window, int amount, Instant now) {
        long cutoff = now.minus(window.length()).toEpochMilli();
        Charge charge;
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                if (database.isPostgres()) {
                    try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                        lock.setInt(1, LOCK_CLASS);
                        lock.setInt(2, (client + "\n" + window.name()).hashCode());
                        lock.executeQuery().close();
                    }
                }
                try (PreparedStatement prune = c.prepareStatement(
                        "DELETE FROM client_charges WHERE client = ? AND budget = ? AND charged_at <= ?")) {
                    prune.setString(1, client);
                    prune.setString(2, window.name());
                    prune.setLong(3, cutoff);
                    prune.executeUpdate();
                }
                List<long[]> inWindow = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT charged_at, amount FROM client_charges
                        WHERE client = ? AND budget = ? AND charged_at > ? ORDER BY charged_at""")) {
                    s.setString(1, client);
                    s.setString(2, window.name());
                    s.setLong(3, cutoff);
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            inWindow.add(new long[] {r.getLong(1), r.getLong(2)});
                        }
                    }
                }
                charge = decide(client, window, amount, now, inWindow);
                if (charge.granted()) {
                    try (PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO client_charges (id, client, budget, charged_at, amount) VALUES (?, ?, ?, ?, ?)")) {
                        insert.setString(1, charge.id());
                        insert.setString(2, client);
                        insert.setString(3, window.name());
                        insert.setLong(4, now.toEpochMilli());
                        insert.setInt(5, amount);
                        insert.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot charge the upload budget of " + client, e);
        }
        pruneIdleClients(window, now);
        return charge;
    }

    /** Grants the charge if it fits; if not, says when the oldest charges will have made room for it. */
    private static Charge decide(String client, Window window, int amount, Instant now, List<long[]> inWindow) {
        long used = inWindow.stream().mapToLong(e -> e[1]).sum();
        String id = UUID.randomUUID().toString();
        if (used + amount <= window.limit()) {
            return new Charge(client, window, id, amount, true, used, Duration.ZERO);
        }
        Duration wait = window.length();
        if (amount <= window.limit()) {
            long left = used;
            for (long[] entry : inWindow) {
                left -= entry[1];
                if (left + amount <= window.limit()) {
                    wait = Duration.ofMillis(entry[0] + window.length().toMillis() - now.toEpochMilli());
                    break;
                }
            }
        }
        return new Charge(client, window, id, amount, false, used, wait);
    }

    @Override
    public void refund(Charge charge) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("DELETE FROM client_charges WHERE id = ?")) {
            s.setString(1, charge.id());
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot refund a charge of " + charge.client(), e);
        }
    }

    /**
     * Deletes every client's charges that left the window. Outside the charge's transaction and
     * best-effort: a client that comes back prunes its own rows anyway.
     */
    private void pruneIdleClients(Window window, Instant now) {
        Instant due = nextPrune.get(window.name());
        if (due != null && now.isBefore(due)) {
            return;
        }
        Instant next = now.plus(PRUNE_EVERY);
        boolean mine = due == null ? nextPrune.putIfAbsent(window.name(), next) == null
                : nextPrune.replace(window.name(), due, next);
        if (!mine) {
            return; // another thread prunes now
        }
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("DELETE FROM client_charges WHERE budget = ? AND charged_at <= ?")) {
            s.setString(1, window.name());
            s.setLong(2, now.minus(window.length()).toEpochMilli());
            s.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.fine(() -> "old upload budget charges not pruned now: " + e);
        }
    }
}
