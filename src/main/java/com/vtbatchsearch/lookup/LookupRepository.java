package com.vtbatchsearch.lookup;

import com.vtbatchsearch.batch.ItemKeys;
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
import java.util.List;
import java.util.Optional;

/**
 * The state of every hash's lookup (pending, done, not_found, error) and the cache of VirusTotal's
 * answers. This table, not the queue, is the truth: the queue only says what to look at next.
 */
public final class LookupRepository {
    private final Database database;

    public LookupRepository(Database database) {
        this.database = database;
    }

    /** A hash's lookup state; {@code refresh} when a stale answer is being looked up again. */
    public record LookupState(String hash, String status, int attempts, boolean refresh) {
        public LookupState(String hash, String status, int attempts) {
            this(hash, status, attempts, false);
        }

        public boolean isPending() {
            return "pending".equals(status);
        }

        /** True when a call to VirusTotal would answer an open question. */
        public boolean needsLookup() {
            return isPending() || refresh;
        }
    }

    public Optional<LookupState> find(String hash) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT status, attempts, refresh FROM lookups WHERE hash = ?")) {
            s.setString(1, hash);
            try (ResultSet r = s.executeQuery()) {
                return r.next()
                        ? Optional.of(new LookupState(hash, r.getString(1), r.getInt(2), r.getInt(3) == 1))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the lookup of " + hash, e);
        }
    }

    /**
     * Stores VirusTotal's answer and marks the hash asked for, and the file's other hashes, as done, so
     * a later upload of any of them is answered from the cache. Control characters are stripped from its
     * text (see {@link StoredText}), the answer is stored compressed (see {@link StoredAnswer}); the hashes' rows are written in sorted order, as an upload writes them.
     */
    public void saveFound(String queriedHash, FileReport report, Instant now) {
        List<String> names = new ArrayList<>(report.aliases());
        if (!names.contains(queriedHash)) {
            names.add(queriedHash);
        }
        Collections.sort(names);
        database.inTransaction("cannot store the answer for " + queriedHash, c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO files (sha256, md5, sha1, malicious, suspicious, undetected, harmless, label, name,
                      file_type, first_seen, last_analysis, reputation, tags, raw_json, raw_gzip, fetched_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)
                    ON CONFLICT (sha256) DO UPDATE SET md5 = excluded.md5, sha1 = excluded.sha1,
                      malicious = excluded.malicious, suspicious = excluded.suspicious,
                      undetected = excluded.undetected, harmless = excluded.harmless, label = excluded.label,
                      name = excluded.name, file_type = excluded.file_type, first_seen = excluded.first_seen,
                      last_analysis = excluded.last_analysis, reputation = excluded.reputation,
                      tags = excluded.tags, raw_json = excluded.raw_json, raw_gzip = excluded.raw_gzip,
                      fetched_at = excluded.fetched_at""")) {
                s.setString(1, report.sha256());
                s.setString(2, report.md5());
                s.setString(3, report.sha1());
                s.setInt(4, report.malicious());
                s.setInt(5, report.suspicious());
                s.setInt(6, report.undetected());
                s.setInt(7, report.harmless());
                s.setString(8, StoredText.clean(report.threatLabel()));
                s.setString(9, StoredText.clean(report.meaningfulName()));
                s.setString(10, StoredText.clean(report.typeDescription()));
                setInstant(s, 11, report.firstSubmission());
                setInstant(s, 12, report.lastAnalysis());
                if (report.reputation() == null) {
                    s.setNull(13, Types.INTEGER);
                } else {
                    s.setInt(13, report.reputation());
                }
                s.setString(14, StoredText.clean(String.join(",", report.tags())));
                s.setBytes(15, StoredAnswer.pack(report.rawJson()));
                s.setLong(16, now.toEpochMilli());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO lookups (hash, status, attempts, refresh, error, sha256, updated_at)
                    VALUES (?, 'done', 0, 0, NULL, ?, ?)
                    ON CONFLICT (hash) DO UPDATE SET status = 'done', refresh = 0, error = NULL,
                      sha256 = excluded.sha256, updated_at = excluded.updated_at""")) {
                for (String name : names) {
                    s.setString(1, name);
                    s.setString(2, report.sha256());
                    s.setLong(3, now.toEpochMilli());
                    s.addBatch();
                }
                s.executeBatch();
            }
            // Every hash whose lookup points at this file is among these names, now locked: their items show it.
            ItemKeys.refresh(c, names);
            return null;
        });
    }

    public void saveNotFound(String hash, Instant now) {
        database.inTransaction("cannot update the lookup of " + hash, c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE lookups SET status = 'not_found', refresh = 0, error = NULL, sha256 = NULL, updated_at = ?
                    WHERE hash = ? AND (status = 'pending' OR refresh = 1)""")) {
                s.setLong(1, now.toEpochMilli());
                s.setString(2, hash);
                int changed = s.executeUpdate();
                if (changed > 0) {
                    ItemKeys.refresh(c, List.of(hash));
                }
                return changed;
            }
        });
    }

    /**
     * Counts a failed attempt. With {@code giveUp} a pending lookup ends as an error showing
     * {@code reason}, and a refresh of a stale answer ends keeping the old answer; otherwise the
     * lookup stays open. A lookup answered meanwhile (as another hash of the same file) is left as it is.
     *
     * @return the number of attempts made so far
     */
    public int recordFailure(String hash, String reason, boolean giveUp, Instant now) {
        database.inTransaction("cannot record a failed lookup of " + hash, c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE lookups SET attempts = attempts + 1,
                      error = CASE WHEN status = 'pending' THEN ? ELSE error END,
                      status = CASE WHEN status = 'pending' AND ? = 1 THEN 'error' ELSE status END,
                      refresh = CASE WHEN ? = 1 THEN 0 ELSE refresh END,
                      updated_at = CASE WHEN status = 'pending' THEN ? ELSE updated_at END
                    WHERE hash = ? AND (status = 'pending' OR refresh = 1)""")) {
                s.setString(1, StoredText.clean(reason));
                s.setInt(2, giveUp ? 1 : 0);
                s.setInt(3, giveUp ? 1 : 0);
                s.setLong(4, now.toEpochMilli());
                s.setString(5, hash);
                int changed = s.executeUpdate();
                if (changed > 0 && giveUp) {
                    ItemKeys.refresh(c, List.of(hash)); // an error now, or a refresh ended: its items show that
                }
                return changed;
            }
        });
        return find(hash).map(LookupState::attempts).orElse(0);
    }

    /**
     * Compresses up to {@code limit} answers stored before answers were compressed (see {@link StoredAnswer}),
     * those after {@code after} in sha256 order, in one short transaction.
     *
     * @return the sha256 of the last answer rewritten, or null when none was left after {@code after}
     */
    public String compressStoredAnswers(String after, int limit) {
        return database.inTransaction("cannot compress the stored answers", c -> {
            List<String> ids = new ArrayList<>();
            List<byte[]> packed = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT sha256, raw_json FROM files"
                    + " WHERE sha256 > ? AND raw_gzip IS NULL ORDER BY sha256 LIMIT " + limit)) {
                s.setString(1, after);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getString(1));
                        packed.add(StoredAnswer.pack(r.getString(2)));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE files SET raw_gzip = ?, raw_json = '' WHERE sha256 = ? AND raw_gzip IS NULL")) {
                for (int n = 0; n < ids.size(); n++) {
                    s.setBytes(1, packed.get(n));
                    s.setString(2, ids.get(n));
                    s.addBatch();
                }
                s.executeBatch();
            }
            return ids.isEmpty() ? null : ids.get(ids.size() - 1);
        });
    }

    /** Hashes waiting for a lookup, longest waiting first. */
    public List<String> pendingHashes() {
        List<String> hashes = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT hash FROM lookups WHERE " + OPEN + " ORDER BY updated_at, hash");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                hashes.add(r.getString(1));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list pending lookups", e);
        }
        return hashes;
    }

    /** An open lookup of a batch: the hash and its position in the batch's upload order. */
    public record OpenLookup(String hash, int position) {
    }

    /** A batch with open lookups, where a page of them ends. */
    public record BatchWithWork(String id, long createdAt) {
    }

    /** What makes a lookup open: no answer yet, or a stale answer being looked up again. */
    private static final String OPEN = "(status = 'pending' OR refresh = 1)";

    /**
     * The batch's open lookups after upload position {@code after}, in upload order, at most
     * {@code limit}: one page of what the batch's next turns may pick.
     */
    public List<OpenLookup> openLookups(String batchId, int after, int limit) {
        List<OpenLookup> open = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT i.hash, i.position FROM batch_items i JOIN lookups l ON l.hash = i.hash
                        WHERE i.batch_id = ? AND i.position > ? AND (l.status = 'pending' OR l.refresh = 1)
                        ORDER BY i.position LIMIT ?""")) {
            s.setString(1, batchId);
            s.setInt(2, after);
            s.setInt(3, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    open.add(new OpenLookup(r.getString(1), r.getInt(2)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list the open lookups of batch " + batchId, e);
        }
        return open;
    }

    /**
     * One page of the batches with open lookups, oldest first, after {@code after} (null: from the
     * first), at most {@code limit}: what to give a place in a queue that lost some or all of its contents.
     */
    public List<BatchWithWork> batchesWithOpenLookups(BatchWithWork after, int limit) {
        List<BatchWithWork> page = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT b.id, b.created_at FROM batches b
                        WHERE (b.created_at > ? OR (b.created_at = ? AND b.id > ?))
                          AND b.id IN (SELECT i.batch_id FROM lookups l JOIN batch_items i ON i.hash = l.hash
                                       WHERE l.status = 'pending' OR l.refresh = 1)
                        ORDER BY b.created_at, b.id LIMIT ?""")) {
            s.setLong(1, after == null ? Long.MIN_VALUE : after.createdAt());
            s.setLong(2, after == null ? Long.MIN_VALUE : after.createdAt());
            s.setString(3, after == null ? "" : after.id());
            s.setInt(4, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    page.add(new BatchWithWork(r.getString(1), r.getLong(2)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list the batches with open lookups", e);
        }
        return page;
    }

    private static void setInstant(PreparedStatement s, int index, Instant value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.BIGINT);
        } else {
            s.setLong(index, value.toEpochMilli());
        }
    }
}
