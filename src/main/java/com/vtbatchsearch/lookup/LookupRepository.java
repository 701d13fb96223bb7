package com.vtbatchsearch.lookup;

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
import java.util.logging.Logger;

/**
 * The state of every hash's lookup (pending, done, not_found, error) and the cache of VirusTotal's
 * answers. This table, not the queue, is the truth: the queue only says what to look at next.
 */
public final class LookupRepository {
    private static final Logger LOG = Logger.getLogger(LookupRepository.class.getName());
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
            keepEarlierAnswers(c, names, false, now);
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
            writeFields(c, report.sha256(), report.fields());
            // Every hash whose lookup points at this file is among these names, now locked: their items show it.
            ItemKeys.refresh(c, names);
            return null;
        });
    }

    /**
     * Writes what {@link AnswerFields} picked out of a file's answer: its columns of {@code files} (the
     * flagging engines among them), its YARA rules (replacing those of an earlier answer), and the engine
     * names it mentions.
     */
    static void writeFields(Connection c, String sha256, AnswerFields fields) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE files SET file_size = ?, times_submitted = ?, threat_family = ?, threat_category = ?,
                  signer = ?, signer_verified = ?, first_seen_year = ?, yara_rules = ?, sigma = ?,
                  sandbox_verdicts = ?, flagged_engines = ?, fields_version = 1
                WHERE sha256 = ?""")) {
            setLong(s, 1, fields.size());
            setLong(s, 2, fields.timesSubmitted());
            s.setString(3, fields.family());
            s.setString(4, fields.category());
            s.setString(5, fields.signer());
            if (fields.signerVerified() == null) {
                s.setNull(6, Types.INTEGER);
            } else {
                s.setInt(6, fields.signerVerified() ? 1 : 0);
            }
            if (fields.firstSeenYear() == null) {
                s.setNull(7, Types.INTEGER);
            } else {
                s.setInt(7, fields.firstSeenYear());
            }
            s.setString(8, fields.yaraRules().isEmpty() ? null : AnswerFields.toJson(fields.yaraRules()));
            s.setString(9, AnswerFields.toJson(fields.sigma()));
            s.setString(10, fields.sandboxVerdicts().isEmpty() ? null : AnswerFields.toJson(fields.sandboxVerdicts()));
            s.setString(11, fields.flaggedText());
            s.setString(12, sha256);
            s.executeUpdate();
        }
        try (PreparedStatement rules = c.prepareStatement("DELETE FROM file_yara_rules WHERE sha256 = ?")) {
            rules.setString(1, sha256);
            rules.executeUpdate();
        }
        if (!fields.yaraRules().isEmpty()) {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO file_yara_rules (sha256, rule) VALUES (?, ?)")) {
                for (String rule : fields.yaraRules()) {
                    s.setString(1, sha256);
                    s.setString(2, rule);
                    s.addBatch();
                }
                s.executeBatch();
            }
        }
        if (!fields.engines().isEmpty()) {
            // Sorted (a TreeSet), so concurrent answers take these rows' locks in one order.
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO engine_names (engine) VALUES (?) ON CONFLICT (engine) DO NOTHING")) {
                for (String engine : fields.engines()) {
                    s.setString(1, engine);
                    s.addBatch();
                }
                s.executeBatch();
            }
        }
    }

    /**
     * Fills the answer fields (see {@link AnswerFields}) of up to {@code limit} files stored before they were
     * kept (migration V5), those after {@code after} in sha256 order, from their stored answers, in one short
     * transaction.
     *
     * @return the sha256 of the last file filled, or null when none was left after {@code after}
     */
    public String fillAnswerFields(String after, int limit) {
        return database.inTransaction("cannot fill the answer fields", c -> {
            List<String> ids = new ArrayList<>();
            List<AnswerFields> fields = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT sha256, raw_json, raw_gzip FROM files"
                    + " WHERE sha256 > ? AND fields_version = 0 ORDER BY sha256 LIMIT " + limit)) {
                s.setString(1, after);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getString(1));
                        fields.add(AnswerFields.parse(StoredAnswer.read(r.getBytes(3), r.getString(2))));
                    }
                }
            }
            for (int n = 0; n < ids.size(); n++) {
                writeFields(c, ids.get(n), fields.get(n));
            }
            return ids.isEmpty() ? null : ids.get(ids.size() - 1);
        });
    }

    public void saveNotFound(String hash, Instant now) {
        database.inTransaction("cannot update the lookup of " + hash, c -> {
            keepEarlierAnswers(c, List.of(hash), true, now); // only an answer being refreshed is replaced
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

    /** Earlier answers kept per hash; older ones are deleted as new ones come. */
    public static final int HISTORY_PER_HASH = 10;

    /** An earlier answer of a hash, kept when a newer one replaced it; figures null for "not found". */
    public record EarlierAnswer(String hash, Instant answeredAt, Instant replacedAt, String status,
            Integer malicious, Integer suspicious, Integer undetected, Integer harmless, String label, String family) {
    }

    /**
     * Before an answer replaces the earlier answers of {@code hashes} (sorted), keeps their verdict figures in
     * {@code verdict_history}, the newest {@link #HISTORY_PER_HASH} per hash. Only a hash with an answer
     * (done or not_found) has one to keep; the first answer of a hash keeps nothing.
     */
    private static void keepEarlierAnswers(Connection c, List<String> hashes, boolean onlyRefreshing, Instant now)
            throws SQLException {
        List<EarlierAnswer> earlier = new ArrayList<>();
        String marks = String.join(",", Collections.nCopies(hashes.size(), "?"));
        java.util.Map<String, String> families = new java.util.HashMap<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT l.hash, l.status, l.updated_at, f.malicious, f.suspicious, f.undetected, f.harmless, f.label,
                       f.sha256, f.raw_json, f.raw_gzip, f.threat_family, f.fields_version
                FROM lookups l LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                WHERE l.status IN ('done', 'not_found')""" + (onlyRefreshing ? " AND l.refresh = 1" : "")
                + " AND l.hash IN (" + marks + ") ORDER BY l.hash")) {
            for (int i = 0; i < hashes.size(); i++) {
                s.setString(i + 1, hashes.get(i));
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    boolean found = r.getString(9) != null;
                    String family = null;
                    if (found) {
                        String sha256 = r.getString(9);
                        if (!families.containsKey(sha256)) {
                            // The family column, or the stored answer while its fields are not filled in yet.
                            families.put(sha256, r.getInt(13) > 0 ? r.getString(12)
                                    : AnswerFields.parse(StoredAnswer.read(r.getBytes(11), r.getString(10))).family());
                        }
                        family = families.get(sha256);
                    }
                    earlier.add(new EarlierAnswer(r.getString(1), Instant.ofEpochMilli(r.getLong(3)), now,
                            found ? "done" : "not_found", found ? r.getInt(4) : null, found ? r.getInt(5) : null,
                            found ? r.getInt(6) : null, found ? r.getInt(7) : null, found ? r.getString(8) : null,
                            family));
                }
            }
        }
        if (earlier.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = c.prepareStatement("""
                INSERT INTO verdict_history (hash, replaced_at, answered_at, status, malicious, suspicious, undetected,
                  harmless, label, family) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (hash, replaced_at) DO NOTHING""");
                PreparedStatement prune = c.prepareStatement("""
                        DELETE FROM verdict_history WHERE hash = ? AND replaced_at < (
                          SELECT h.replaced_at FROM verdict_history h WHERE h.hash = ?
                          ORDER BY h.replaced_at DESC LIMIT 1 OFFSET""" + " " + (HISTORY_PER_HASH - 1) + ")")) {
            for (EarlierAnswer e : earlier) {
                insert.setString(1, e.hash());
                insert.setLong(2, e.replacedAt().toEpochMilli());
                insert.setLong(3, e.answeredAt().toEpochMilli());
                insert.setString(4, e.status());
                setInteger(insert, 5, e.malicious());
                setInteger(insert, 6, e.suspicious());
                setInteger(insert, 7, e.undetected());
                setInteger(insert, 8, e.harmless());
                insert.setString(9, e.label());
                insert.setString(10, e.family());
                insert.addBatch();
                prune.setString(1, e.hash());
                prune.setString(2, e.hash());
                prune.addBatch();
            }
            insert.executeBatch();
            prune.executeBatch();
        }
    }

    /** The earlier answers kept for {@code hash}, newest first. */
    public List<EarlierAnswer> history(String hash) {
        List<EarlierAnswer> history = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT hash, answered_at, replaced_at, status, malicious, suspicious, undetected, harmless,
                               label, family
                        FROM verdict_history WHERE hash = ? ORDER BY replaced_at DESC""")) {
            s.setString(1, hash);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    history.add(new EarlierAnswer(r.getString(1), Instant.ofEpochMilli(r.getLong(2)),
                            Instant.ofEpochMilli(r.getLong(3)), r.getString(4), integer(r, 5), integer(r, 6),
                            integer(r, 7), integer(r, 8), r.getString(9), r.getString(10)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the earlier answers of " + hash, e);
        }
        return history;
    }

    private static void setInteger(PreparedStatement s, int index, Integer value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.INTEGER);
        } else {
            s.setInt(index, value);
        }
    }

    private static Integer integer(ResultSet r, int column) throws SQLException {
        int value = r.getInt(column);
        return r.wasNull() ? null : value;
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

    /** One chunk of a walk over {@code files}: the sha256 of the last file looked at, and how many it changed. */
    public record Walked(String last, int changed) {
    }

    /**
     * Rewrites, in one short transaction, the answers among the {@code limit} files after {@code after} (in
     * sha256 order) that are not stored as {@link StoredAnswer#pack} writes them today: stored as text before
     * answers were compressed (migration V4), or gzipped before they were packed with a dictionary. Each
     * file's first bytes tell; a file whose answer changed meanwhile is left as the new answer wrote it.
     *
     * @return the last file looked at and how many were rewritten, or null when no file was left after
     *     {@code after}
     */
    public Walked compressStoredAnswers(String after, int limit) {
        return database.inTransaction("cannot compress the stored answers", c -> {
            String last = null;
            List<String> texts = new ArrayList<>();
            List<String> older = new ArrayList<>();
            // substr of the first bytes only: PostgreSQL reads them without fetching the whole value.
            try (PreparedStatement s = c.prepareStatement("SELECT sha256, raw_gzip IS NULL, substr(raw_gzip, 1, 6)"
                    + " FROM files WHERE sha256 > ? ORDER BY sha256 LIMIT " + limit)) {
                s.setString(1, after);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        last = r.getString(1);
                        if (r.getBoolean(2)) {
                            texts.add(last);
                        } else if (StoredAnswer.isOutdated(r.getBytes(3))) {
                            older.add(last);
                        }
                    }
                }
            }
            if (last == null) {
                return null;
            }
            int rewritten = 0;
            try (PreparedStatement read = c.prepareStatement("SELECT raw_json FROM files WHERE sha256 = ? AND raw_gzip IS NULL");
                    PreparedStatement write = c.prepareStatement(
                            "UPDATE files SET raw_gzip = ?, raw_json = '' WHERE sha256 = ? AND raw_gzip IS NULL")) {
                for (String sha256 : texts) {
                    read.setString(1, sha256);
                    try (ResultSet r = read.executeQuery()) {
                        if (r.next()) {
                            write.setBytes(1, StoredAnswer.pack(r.getString(1)));
                            write.setString(2, sha256);
                            write.addBatch();
                            rewritten++;
                        }
                    }
                }
                write.executeBatch();
            }
            try (PreparedStatement read = c.prepareStatement("SELECT raw_gzip FROM files WHERE sha256 = ?");
                    PreparedStatement write = c.prepareStatement(
                            "UPDATE files SET raw_gzip = ? WHERE sha256 = ? AND raw_gzip = ?")) {
                for (String sha256 : older) {
                    read.setString(1, sha256);
                    try (ResultSet r = read.executeQuery()) {
                        byte[] stored = r.next() ? r.getBytes(1) : null;
                        String text = stored == null ? null : unpackOrNull(sha256, stored);
                        if (text != null) {
                            write.setBytes(1, StoredAnswer.pack(text));
                            write.setString(2, sha256);
                            write.setBytes(3, stored);
                            write.addBatch();
                            rewritten++;
                        }
                    }
                }
                write.executeBatch();
            }
            return new Walked(last, rewritten);
        });
    }

    /** A stored answer's text, or null (logged) when it cannot be read: left as it is, not to stop the walk. */
    private static String unpackOrNull(String sha256, byte[] stored) {
        try {
            return StoredAnswer.unpack(stored);
        } catch (java.io.UncheckedIOException e) {
            LOG.warning(() -> "the stored answer of " + sha256 + " is left as it is: " + e.getMessage());
            return null;
        }
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

    private static void setLong(PreparedStatement s, int index, Long value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.BIGINT);
        } else {
            s.setLong(index, value);
        }
    }

    private static void setInstant(PreparedStatement s, int index, Instant value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.BIGINT);
        } else {
            s.setLong(index, value.toEpochMilli());
        }
    }
}
