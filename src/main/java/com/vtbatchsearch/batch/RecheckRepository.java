package com.vtbatchsearch.batch;

import com.vtbatchsearch.lookup.StoredAnswer;
import com.vtbatchsearch.lookup.AnswerFields;
import com.vtbatchsearch.lookup.ItemKeys;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Re-checks of batches: starting one (every answer of the batch looked up again, through the refresh of
 * answers the workers already serve), finishing it once nothing of the batch is open (what changed is
 * written to {@code batch_changes}), watch schedules, and the claims that announce each completion once.
 */
public final class RecheckRepository {
    private static final int CHUNK = 500;

    /** No lookup of the batch is open: nothing pending, nothing being refreshed. */
    private static final String NOTHING_OPEN = """
             NOT EXISTS (SELECT 1 FROM batch_items i JOIN lookups l ON l.hash = i.hash
                         WHERE i.batch_id = batches.id AND (l.status = 'pending' OR l.refresh = 1))""";

    /** What a re-check looks up again: every answer not open already, and every failed lookup. */
    private static final String TO_RECHECK = """

            FROM batch_items i JOIN lookups l ON l.hash = i.hash
            WHERE i.batch_id = ? AND ((l.status IN ('done', 'not_found') AND l.refresh = 0) OR l.status = 'error')""";

    private final Database database;
    private final VerdictPolicy policy;

    public RecheckRepository(Database database) {
        this(database, VerdictPolicy.DEFAULT);
    }

    /** @param policy when a file counts as malicious, for the kinds of change (MALICIOUS_MIN_ENGINES) */
    public RecheckRepository(Database database, VerdictPolicy policy) {
        this.database = database;
        this.policy = policy;
    }

    /** The batch's re-check state and what its last re-check found; empty for an unknown batch. */
    public Optional<Recheck> state(String batchId) {
        try (Connection c = database.connection()) {
            Recheck.Watch watch;
            Instant started;
            Instant done;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT watch, recheck_started_at, recheck_done_at FROM batches WHERE id = ?")) {
                s.setString(1, batchId);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return Optional.empty();
                    }
                    watch = Recheck.Watch.parse(r.getString(1)).orElse(null);
                    started = BatchRepository.instant(r, 2);
                    done = BatchRepository.instant(r, 3);
                }
            }
            Map<String, Integer> byKind = new LinkedHashMap<>();
            for (ChangeKind kind : ChangeKind.values()) {
                byKind.put(kind.key(), 0);
            }
            int changed = 0;
            if (done != null) {
                // One aggregate over the batch's changed items, counted in the database.
                StringBuilder sql = new StringBuilder("SELECT COUNT(*)");
                for (ChangeKind kind : ChangeKind.values()) {
                    sql.append(", SUM(CASE WHEN kinds LIKE '%,").append(kind.key()).append(",%' THEN 1 ELSE 0 END)");
                }
                try (PreparedStatement s = c.prepareStatement(sql + " FROM batch_changes WHERE batch_id = ?")) {
                    s.setString(1, batchId);
                    try (ResultSet r = s.executeQuery()) {
                        r.next();
                        changed = r.getInt(1);
                        int column = 2;
                        for (ChangeKind kind : ChangeKind.values()) {
                            byKind.put(kind.key(), r.getInt(column++));
                        }
                    }
                }
            }
            return Optional.of(new Recheck(watch, started, done, changed, Collections.unmodifiableMap(byKind)));
        } catch (SQLException e) {
            throw new StoreException("cannot read the re-checks of batch " + batchId, e);
        }
    }

    /** How many lookups a re-check of the batch would queue now (answers not being looked up already). */
    public int countToRecheck(String batchId) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*)" + TO_RECHECK)) {
            s.setString(1, batchId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the answers of batch " + batchId, e);
        }
    }

    /**
     * Starts a re-check: every answer of the batch is marked to be looked up again (a found or not-found
     * answer keeps showing meanwhile, a failed lookup becomes pending), the last re-check's changes are
     * dropped, and the start time recorded. One transaction; the lookups rows in sorted order.
     *
     * @return the hashes marked now, in upload order; empty when a re-check of the batch is running (or
     *     there is no such batch), which is then left as it is
     */
    public Optional<List<String>> start(String batchId, Instant now) {
        return database.inTransaction("cannot start a re-check of batch " + batchId, c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE batches SET recheck_started_at = ?, recheck_done_at = NULL
                    WHERE id = ? AND (recheck_started_at IS NULL OR recheck_done_at IS NOT NULL)""")) {
                s.setLong(1, now.toEpochMilli());
                s.setString(2, batchId);
                if (s.executeUpdate() == 0) {
                    return Optional.<List<String>>empty();
                }
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM batch_changes WHERE batch_id = ?")) {
                s.setString(1, batchId);
                s.executeUpdate();
            }
            List<String> marked = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT i.hash" + TO_RECHECK + " ORDER BY i.position")) {
                s.setString(1, batchId);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        marked.add(r.getString(1));
                    }
                }
            }
            List<String> sorted = new ArrayList<>(marked);
            Collections.sort(sorted);
            try (PreparedStatement refresh = c.prepareStatement("""
                    UPDATE lookups SET refresh = 1, attempts = 0
                    WHERE hash = ? AND refresh = 0 AND status IN ('done', 'not_found')""");
                    PreparedStatement retry = c.prepareStatement("""
                            UPDATE lookups SET status = 'pending', attempts = 0, error = NULL, updated_at = ?
                            WHERE hash = ? AND status = 'error'""")) {
                for (int from = 0; from < sorted.size(); from += CHUNK) {
                    for (String hash : sorted.subList(from, Math.min(sorted.size(), from + CHUNK))) {
                        refresh.setString(1, hash);
                        refresh.addBatch();
                        retry.setLong(1, now.toEpochMilli());
                        retry.setString(2, hash);
                        retry.addBatch();
                    }
                    refresh.executeBatch();
                    retry.executeBatch();
                }
            }
            return Optional.of(marked);
        });
    }

    /** One changed item: its hash and the kinds of change. */
    public record Change(String hash, List<ChangeKind> kinds) {
    }

    /** A re-check that was finished: when it started, and the items it changed, in upload order. */
    public record Finished(String batchId, Instant startedAt, List<Change> changes) {
    }

    /**
     * Finishes the batch's running re-check when nothing of the batch is open any more: claims it (one
     * caller wins, across instances) and writes, for every item whose answer since the re-check started
     * differs from the answer before by a {@link ChangeKind}, its kinds and its earlier answer.
     *
     * @return the finished re-check; empty when none runs, it is not done yet, or another caller finished it
     */
    public Optional<Finished> finishIfDone(String batchId, Instant now, int minDelta) {
        return database.inTransaction("cannot finish the re-check of batch " + batchId, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches SET recheck_done_at = ? WHERE id = ?"
                    + " AND recheck_started_at IS NOT NULL AND recheck_done_at IS NULL AND " + NOTHING_OPEN)) {
                s.setLong(1, now.toEpochMilli());
                s.setString(2, batchId);
                if (s.executeUpdate() == 0) {
                    return Optional.<Finished>empty();
                }
            }
            Instant started;
            try (PreparedStatement s = c.prepareStatement("SELECT recheck_started_at FROM batches WHERE id = ?")) {
                s.setString(1, batchId);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    started = Instant.ofEpochMilli(r.getLong(1));
                }
            }
            List<Change> changes = new ArrayList<>();
            List<Object[]> rows = new ArrayList<>();
            // Each item answered since the start, with the answer it replaced first (the one before the re-check).
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT i.hash, l.status, f.malicious, f.suspicious, f.label, f.raw_json, f.raw_gzip,
                           h.status, h.answered_at, h.malicious, h.suspicious, h.undetected, h.harmless, h.label, h.family,
                           f.threat_family, f.fields_version
                    FROM batch_items i
                    JOIN lookups l ON l.hash = i.hash
                    LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                    JOIN verdict_history h ON h.hash = i.hash
                    WHERE i.batch_id = ? AND h.replaced_at = (SELECT MIN(h2.replaced_at) FROM verdict_history h2
                                                              WHERE h2.hash = i.hash AND h2.replaced_at >= ?)
                    ORDER BY i.position""")) {
                s.setString(1, batchId);
                s.setLong(2, started.toEpochMilli());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        boolean foundNow = "done".equals(r.getString(2)) && r.getObject(3) != null;
                        boolean foundBefore = "done".equals(r.getString(8));
                        String familyNow = foundNow && foundBefore
                                ? (r.getInt(17) > 0 ? r.getString(16)
                                        : AnswerFields.parse(StoredAnswer.read(r.getBytes(7), r.getString(6))).family())
                                : null;
                        ChangeKind.Answer after = foundNow ? new ChangeKind.Answer(true, r.getInt(3), r.getInt(4),
                                r.getString(5), familyNow) : ChangeKind.Answer.notFound();
                        ChangeKind.Answer before = foundBefore ? new ChangeKind.Answer(true, r.getInt(10), r.getInt(11),
                                r.getString(14), r.getString(15)) : ChangeKind.Answer.notFound();
                        List<ChangeKind> kinds = ChangeKind.between(before, after, minDelta, policy);
                        if (!kinds.isEmpty()) {
                            changes.add(new Change(r.getString(1), List.copyOf(kinds)));
                            rows.add(new Object[] {batchId, r.getString(1), ChangeKind.store(kinds), r.getString(8),
                                    r.getLong(9), r.getObject(10) == null ? null : r.getInt(10),
                                    r.getObject(11) == null ? null : r.getInt(11),
                                    r.getObject(12) == null ? null : r.getInt(12),
                                    r.getObject(13) == null ? null : r.getInt(13), r.getString(14), r.getString(15)});
                        }
                    }
                }
            }
            try (PreparedStatement insert = c.prepareStatement("""
                    INSERT INTO batch_changes (batch_id, hash, kinds, prev_status, prev_answered_at, prev_malicious,
                      prev_suspicious, prev_undetected, prev_harmless, prev_label, prev_family)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
                for (int from = 0; from < rows.size(); from += CHUNK) {
                    for (Object[] row : rows.subList(from, Math.min(rows.size(), from + CHUNK))) {
                        for (int n = 0; n < row.length; n++) {
                            if (row[n] == null) {
                                insert.setNull(n + 1, n >= 5 && n <= 8 ? Types.INTEGER : Types.VARCHAR);
                            } else {
                                insert.setObject(n + 1, row[n]);
                            }
                        }
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
            }
            return Optional.of(new Finished(batchId, started, List.copyOf(changes)));
        });
    }

    /** The earlier answers kept for {@code hash}, newest first. */
    public List<com.vtbatchsearch.lookup.LookupRepository.EarlierAnswer> history(String hash) {
        return new com.vtbatchsearch.lookup.LookupRepository(database).history(hash);
    }

    /** Up to {@code limit} batches whose re-check has not been finished, oldest start first. */
    public List<String> runningRechecks(int limit) {
        return ids("SELECT id FROM batches WHERE recheck_started_at IS NOT NULL AND recheck_done_at IS NULL"
                + " ORDER BY recheck_started_at LIMIT " + limit, null);
    }

    /** Up to {@code limit} batches whose completion has not been announced yet, oldest first. */
    public List<String> unannounced(int limit) {
        return ids("SELECT id FROM batches WHERE done_notified = 0 ORDER BY created_at LIMIT " + limit, null);
    }

    /**
     * Claims the announcement of a batch's completion: true for exactly one caller, once no hash of the
     * batch waits for its first answer. Asked of the items' verdict key (pending exactly while the lookup
     * is, see {@link ItemKeys}) through the index on (batch_id, verdict, position): one probe, not a walk of
     * a big batch's items inside a write transaction every few seconds.
     */
    public boolean claimCompletion(String batchId) {
        return database.inTransaction("cannot claim the completion of batch " + batchId, c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE batches SET done_notified = 1 WHERE id = ? AND done_notified = 0
                      AND NOT EXISTS (SELECT 1 FROM batch_items i
                                      WHERE i.batch_id = batches.id AND i.verdict = """ + ItemKeys.PENDING + ")")) {
                s.setString(1, batchId);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** True while any hash waits for its first answer: watched re-checks then wait. */
    public boolean anyFirstLookupPending() {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT hash FROM lookups WHERE status = 'pending' LIMIT 1");
                ResultSet r = s.executeQuery()) {
            return r.next();
        } catch (SQLException e) {
            throw new StoreException("cannot look for pending lookups", e);
        }
    }

    /**
     * Up to {@code limit} watched batches due for a re-check at {@code now}: no re-check running, and the
     * last one started (or, never re-checked, the batch uploaded) at least the watch's interval ago.
     */
    public List<String> dueForWatch(Instant now, int limit) {
        List<String> due = new ArrayList<>();
        for (Recheck.Watch watch : Recheck.Watch.values()) {
            due.addAll(ids("SELECT id FROM batches WHERE watch = '" + watch.key() + "' AND recheck_done_at IS NOT NULL"
                    + " AND recheck_started_at <= ? UNION SELECT id FROM batches WHERE watch = '" + watch.key()
                    + "' AND recheck_started_at IS NULL AND created_at <= ? LIMIT " + limit,
                    now.minus(watch.every()).toEpochMilli()));
        }
        return due.size() > limit ? due.subList(0, limit) : due;
    }

    /** Sets or clears the batch's watch; false for an unknown batch. */
    public boolean setWatch(String batchId, Recheck.Watch watch) {
        return database.inTransaction("cannot set the watch of batch " + batchId, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches SET watch = ? WHERE id = ?")) {
                s.setString(1, watch == null ? null : watch.key());
                s.setString(2, batchId);
                return s.executeUpdate() == 1;
            }
        });
    }

    private List<String> ids(String sql, Long time) {
        List<String> ids = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(sql)) {
            if (time != null) {
                s.setLong(1, time);
                if (sql.indexOf('?') != sql.lastIndexOf('?')) {
                    s.setLong(2, time);
                }
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list batches", e);
        }
        return ids;
    }
}
