package com.vtbatchsearch.lookup;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** When each request to VirusTotal was sent, so the rate limit holds across restarts. */
public final class CallLogRepository {
    private final Database database;

    public CallLogRepository(Database database) {
        this.database = database;
    }

    public void record(Instant at) {
        database.inTransaction("cannot record a VirusTotal call", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO api_calls (called_at) VALUES (?)")) {
                s.setLong(1, at.toEpochMilli());
                return s.executeUpdate();
            }
        });
    }

    /** Times of the calls made at or after {@code since}, oldest first. */
    public List<Instant> since(Instant since) {
        List<Instant> calls = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT called_at FROM api_calls WHERE called_at >= ? ORDER BY called_at")) {
            s.setLong(1, since.toEpochMilli());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    calls.add(Instant.ofEpochMilli(r.getLong(1)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the VirusTotal call log", e);
        }
        return calls;
    }

    /** How many calls were made since {@code since}. */
    public int countSince(Instant since) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM api_calls WHERE called_at >= ?")) {
            s.setLong(1, since.toEpochMilli());
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getInt(1) : 0;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the VirusTotal call log", e);
        }
    }

    /** Deletes the calls made before {@code before}; answers how many. */
    public int deleteBefore(Instant before) {
        return database.inTransaction("cannot prune the VirusTotal call log", c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM api_calls WHERE called_at < ?")) {
                s.setLong(1, before.toEpochMilli());
                return s.executeUpdate();
            }
        });
    }
}
