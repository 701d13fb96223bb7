package com.vtbatchsearch.store;

import com.vtbatchsearch.batch.Batch;
import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.HashType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Batches, their items, and the views of them a report needs. */
public final class BatchRepository {
    private static final int CHUNK = 500;

    private final Database database;

    public BatchRepository(Database database) {
        this.database = database;
    }

    /**
     * Stores a batch and its items and marks every hash that has no answer yet (or only a failed one)
     * as pending, in one transaction.
     *
     * @return the hashes that became pending now and so need to be queued; hashes already answered or
     *     already pending for another batch are not among them
     */
    public List<String> create(String id, Instant createdAt, ExtractedHashes hashes) {
        long now = createdAt.toEpochMilli();
        List<String> newlyPending = new ArrayList<>();
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement batch = c.prepareStatement(
                        "INSERT INTO batches (id, created_at, found, unique_count) VALUES (?, ?, ?, ?)")) {
                    batch.setString(1, id);
                    batch.setLong(2, now);
                    batch.setLong(3, hashes.found());
                    batch.setInt(4, hashes.unique());
                    batch.executeUpdate();
                }
                try (PreparedStatement item = c.prepareStatement(
                        "INSERT INTO batch_items (batch_id, position, hash, hash_type) VALUES (?, ?, ?, ?)");
                        PreparedStatement lookup = c.prepareStatement("""
                                INSERT INTO lookups (hash, status, attempts, updated_at) VALUES (?, 'pending', 0, ?)
                                ON CONFLICT (hash) DO UPDATE SET status = 'pending', attempts = 0, error = NULL,
                                  updated_at = excluded.updated_at
                                WHERE lookups.status = 'error'""")) {
                    int position = 0;
                    for (Map.Entry<String, HashType> entry : hashes.distinct().entrySet()) {
                        item.setString(1, id);
                        item.setInt(2, position++);
                        item.setString(3, entry.getKey());
                        item.setString(4, entry.getValue().name());
                        item.addBatch();
                        if (position % CHUNK == 0) {
                            item.executeBatch();
                        }
                        lookup.setString(1, entry.getKey());
                        lookup.setLong(2, now);
                        if (lookup.executeUpdate() > 0) {
                            newlyPending.add(entry.getKey());
                        }
                    }
                    item.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot store batch " + id, e);
        }
        return newlyPending;
    }

    /**
     * How many of {@code hashes} {@link #create} would mark pending now: those with no answer yet and
     * not pending already, or whose last answer was an error.
     */
    public int countNeedingLookup(List<String> hashes) {
        int known = 0;
        try (Connection c = database.connection()) {
            for (int from = 0; from < hashes.size(); from += CHUNK) {
                List<String> chunk = hashes.subList(from, Math.min(hashes.size(), from + CHUNK));
                String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT COUNT(*) FROM lookups WHERE status <> 'error' AND hash IN (" + marks + ")")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        s.setString(i + 1, chunk.get(i));
                    }
                    try (ResultSet r = s.executeQuery()) {
                        r.next();
                        known += r.getInt(1);
                    }
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count new hashes", e);
        }
        return hashes.size() - known;
    }

    public Optional<Batch> find(String id) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT id, created_at, found, unique_count FROM batches WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Batch(r.getString(1), Instant.ofEpochMilli(r.getLong(2)), r.getLong(3),
                        r.getInt(4)));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read batch " + id, e);
        }
    }

    public BatchCounts counts(Batch batch) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT
                          SUM(CASE WHEN l.status = 'pending' THEN 1 ELSE 0 END),
                          SUM(CASE WHEN l.status = 'not_found' THEN 1 ELSE 0 END),
                          SUM(CASE WHEN l.status = 'error' THEN 1 ELSE 0 END),
                          SUM(CASE WHEN f.malicious > 0 THEN 1 ELSE 0 END),
                          SUM(CASE WHEN f.malicious = 0 AND f.suspicious > 0 THEN 1 ELSE 0 END)
                        FROM batch_items i
                        JOIN lookups l ON l.hash = i.hash
                        LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                        WHERE i.batch_id = ?""")) {
            s.setString(1, batch.getId());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                int pending = r.getInt(1);
                return new BatchCounts(batch.getFound(), batch.getUnique(), batch.getUnique() - pending, pending,
                        r.getInt(2), r.getInt(3), r.getInt(4), r.getInt(5));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count batch " + batch.getId(), e);
        }
    }

    /** The batch's distinct hashes in order of first appearance, each with its current lookup state. */
    public List<BatchItem> items(String batchId) {
        List<BatchItem> items = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT i.hash, i.hash_type, l.status, l.error,
                               f.malicious, f.suspicious, f.undetected, f.harmless, f.label, f.name, f.file_type,
                               f.sha256, f.first_seen, f.last_analysis
                        FROM batch_items i
                        JOIN lookups l ON l.hash = i.hash
                        LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                        WHERE i.batch_id = ?
                        ORDER BY i.position""")) {
            s.setString(1, batchId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    BatchItem.Verdict verdict = r.getString(12) == null ? null : new BatchItem.Verdict(
                            r.getInt(5), r.getInt(6), r.getInt(7), r.getInt(8), r.getString(9), r.getString(10),
                            r.getString(11), r.getString(12), instant(r, 13), instant(r, 14));
                    items.add(new BatchItem(r.getString(1), HashType.valueOf(r.getString(2)), r.getString(3),
                            r.getString(4), verdict));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the items of batch " + batchId, e);
        }
        return items;
    }

    /** How many batches and items are stored; for tests that check a rejected upload stored nothing. */
    public long countBatches() {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM batches");
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        } catch (SQLException e) {
            throw new StoreException("cannot count batches", e);
        }
    }

    static Instant instant(ResultSet r, int column) throws SQLException {
        long millis = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
