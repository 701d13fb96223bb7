package com.vtbatchsearch.store;

import com.vtbatchsearch.lookup.FileReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
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

    /** A hash's lookup state. */
    public record LookupState(String hash, String status, int attempts) {
        public boolean isPending() {
            return "pending".equals(status);
        }
    }

    public Optional<LookupState> find(String hash) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT status, attempts FROM lookups WHERE hash = ?")) {
            s.setString(1, hash);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new LookupState(hash, r.getString(1), r.getInt(2))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the lookup of " + hash, e);
        }
    }

    /**
     * Stores VirusTotal's answer and marks the hash asked for, and the file's other hashes, as done, so
     * a later upload of any of them is answered from the cache.
     */
    public void saveFound(String queriedHash, FileReport report, Instant now) {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO files (sha256, md5, sha1, malicious, suspicious, undetected, harmless, label, name,
                          file_type, first_seen, last_analysis, reputation, tags, raw_json, fetched_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (sha256) DO UPDATE SET md5 = excluded.md5, sha1 = excluded.sha1,
                          malicious = excluded.malicious, suspicious = excluded.suspicious,
                          undetected = excluded.undetected, harmless = excluded.harmless, label = excluded.label,
                          name = excluded.name, file_type = excluded.file_type, first_seen = excluded.first_seen,
                          last_analysis = excluded.last_analysis, reputation = excluded.reputation,
                          tags = excluded.tags, raw_json = excluded.raw_json, fetched_at = excluded.fetched_at""")) {
                    s.setString(1, report.sha256());
                    s.setString(2, report.md5());
                    s.setString(3, report.sha1());
                    s.setInt(4, report.malicious());
                    s.setInt(5, report.suspicious());
                    s.setInt(6, report.undetected());
                    s.setInt(7, report.harmless());
                    s.setString(8, report.threatLabel());
                    s.setString(9, report.meaningfulName());
                    s.setString(10, report.typeDescription());
                    setInstant(s, 11, report.firstSubmission());
                    setInstant(s, 12, report.lastAnalysis());
                    if (report.reputation() == null) {
                        s.setNull(13, Types.INTEGER);
                    } else {
                        s.setInt(13, report.reputation());
                    }
                    s.setString(14, String.join(",", report.tags()));
                    s.setString(15, report.rawJson());
                    s.setLong(16, now.toEpochMilli());
                    s.executeUpdate();
                }
                List<String> names = new ArrayList<>(report.aliases());
                if (!names.contains(queriedHash)) {
                    names.add(queriedHash);
                }
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO lookups (hash, status, attempts, error, sha256, updated_at)
                        VALUES (?, 'done', 0, NULL, ?, ?)
                        ON CONFLICT (hash) DO UPDATE SET status = 'done', error = NULL, sha256 = excluded.sha256,
                          updated_at = excluded.updated_at""")) {
                    for (String name : names) {
                        s.setString(1, name);
                        s.setString(2, report.sha256());
                        s.setLong(3, now.toEpochMilli());
                        s.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot store the answer for " + queriedHash, e);
        }
    }

    public void saveNotFound(String hash, Instant now) {
        update(hash, "UPDATE lookups SET status = 'not_found', error = NULL, sha256 = NULL, updated_at = ? "
                + "WHERE hash = ? AND status = 'pending'", now);
    }

    /**
     * Counts a failed attempt. With {@code giveUp} the lookup ends as an error showing {@code reason};
     * otherwise it stays pending. A lookup answered meanwhile (as another hash of the same file) is
     * left as it is.
     *
     * @return the number of attempts made so far
     */
    public int recordFailure(String hash, String reason, boolean giveUp, Instant now) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "UPDATE lookups SET attempts = attempts + 1, error = ?, status = ?, updated_at = ? "
                                + "WHERE hash = ? AND status = 'pending'")) {
            s.setString(1, reason);
            s.setString(2, giveUp ? "error" : "pending");
            s.setLong(3, now.toEpochMilli());
            s.setString(4, hash);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot record a failed lookup of " + hash, e);
        }
        return find(hash).map(LookupState::attempts).orElse(0);
    }

    /** Hashes waiting for a lookup, oldest first: what to put back in an empty queue. */
    public List<String> pendingHashes() {
        List<String> hashes = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT hash FROM lookups WHERE status = 'pending' ORDER BY updated_at, hash");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                hashes.add(r.getString(1));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list pending lookups", e);
        }
        return hashes;
    }

    private void update(String hash, String sql, Instant now) {
        try (Connection c = database.connection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, now.toEpochMilli());
            s.setString(2, hash);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot update the lookup of " + hash, e);
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
