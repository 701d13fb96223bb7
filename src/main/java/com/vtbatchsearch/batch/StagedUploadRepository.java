package com.vtbatchsearch.batch;

import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.StoreException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Big uploads kept whole, in one row each ({@code staged_uploads}), until their batch is written: staging
 * one costs a single insert, so the upload is answered at once; {@link #store} then writes the batch and its
 * items in one transaction that deletes the row, so a batch is stored exactly once however many instances
 * (or retries after a stop) try, and a stop in between loses nothing.
 */
public final class StagedUploadRepository {
    /**
     * Payload format: a version byte, then deflated (fastest level: the row lives seconds) found, count, and per
     * hash its text, type and line (or none).
     */
    private static final int FORMAT = 1;

    private final Database database;
    private final BatchRepository batches;

    public StagedUploadRepository(BatchRepository batches) {
        this.database = batches.database();
        this.batches = batches;
    }

    /** A batch being stored: its id, when it was uploaded, and how many distinct hashes it holds. */
    public record Staged(String id, Instant createdAt, int unique) {
        /** The count for a page: {@code 100,000}. */
        public String getUniqueText() {
            return String.format(Locale.ROOT, "%,d", unique);
        }
    }

    /** Keeps an upload's hashes under {@code id} until {@link #store} writes its batch. */
    public void stage(String id, Instant createdAt, ExtractedHashes hashes) {
        byte[] payload = encode(hashes);
        database.inTransaction("cannot keep upload " + id, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO staged_uploads (batch_id, created_at, unique_count, hashes) VALUES (?, ?, ?, ?)")) {
                s.setString(1, id);
                s.setLong(2, createdAt.toEpochMilli());
                s.setInt(3, hashes.unique());
                s.setBytes(4, payload);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** The upload staged under {@code id}, while its batch is not written yet. */
    public Optional<Staged> find(String id) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT created_at, unique_count FROM staged_uploads WHERE batch_id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Staged(id, Instant.ofEpochMilli(r.getLong(1)), r.getInt(2)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read staged upload " + id, e);
        }
    }

    /** The ids of the uploads staged before {@code before} and still waiting, oldest first, at most {@code limit}. */
    public List<String> waiting(Instant before, int limit) {
        List<String> ids = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT batch_id FROM staged_uploads WHERE created_at < ?"
                        + " ORDER BY created_at, batch_id LIMIT " + limit)) {
            s.setLong(1, before.toEpochMilli());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list the staged uploads", e);
        }
        return ids;
    }

    /**
     * Writes the batch staged under {@code id} (see {@link BatchRepository#create}) and deletes the staged row,
     * in one transaction. {@code hashes} are the upload's hashes when the caller still holds them, or null to
     * read them from the row.
     *
     * @return the batch's hashes that need a lookup, as {@link BatchRepository#create} answers; empty when
     *     there is nothing to store (another instance, or an earlier try, stored it; or it was never staged)
     */
    public Optional<List<String>> store(String id, ExtractedHashes hashes) {
        return database.inTransaction("cannot store staged upload " + id, c -> {
            long createdAt;
            ExtractedHashes upload = hashes;
            try (PreparedStatement s = c.prepareStatement("SELECT created_at"
                    + (hashes == null ? ", hashes" : "") + " FROM staged_uploads WHERE batch_id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return Optional.empty();
                    }
                    createdAt = r.getLong(1);
                    if (upload == null) {
                        upload = decode(r.getBytes(2));
                    }
                }
            }
            // The claim: of two instances storing the same upload, the second waits here for the first's
            // commit (PostgreSQL's row lock; SQLite's one writer), then deletes nothing and stores nothing.
            try (PreparedStatement claim = c.prepareStatement("DELETE FROM staged_uploads WHERE batch_id = ?")) {
                claim.setString(1, id);
                if (claim.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return Optional.of(batches.create(c, id, Instant.ofEpochMilli(createdAt), upload));
        });
    }

    /** The bytes a staged row keeps for {@code hashes}: every hash in upload order, its type and its line. */
    static byte[] encode(ExtractedHashes hashes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(hashes.unique() * 30 + 16);
        bytes.write(FORMAT);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                new DeflaterOutputStream(bytes, deflater, 64 * 1024), 64 * 1024))) {
            out.writeLong(hashes.found());
            out.writeInt(hashes.unique());
            for (Map.Entry<String, HashType> hash : hashes.distinct().entrySet()) {
                out.writeUTF(hash.getKey());
                out.writeUTF(hash.getValue().name());
                String context = hashes.context(hash.getKey());
                out.writeBoolean(context != null);
                if (context != null) {
                    out.writeUTF(context);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a staged upload", e); // not for an in-memory stream
        } finally {
            deflater.end();
        }
        return bytes.toByteArray();
    }

    /** The hashes {@link #encode} wrote; a clear error for bytes it did not write. */
    static ExtractedHashes decode(byte[] payload) {
        Inflater inflater = new Inflater();
        ByteArrayInputStream source = new ByteArrayInputStream(payload, 1, Math.max(0, payload.length - 1));
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new InflaterInputStream(source, inflater), 64 * 1024))) {
            if (payload.length == 0 || payload[0] != FORMAT) {
                throw new IOException("unknown format " + (payload.length == 0 ? "(no bytes)" : payload[0]));
            }
            long found = in.readLong();
            int count = in.readInt();
            if (count < 0 || count > 100 * payload.length) {
                throw new IOException("a count of " + count + " hashes in " + payload.length + " bytes");
            }
            Map<String, HashType> distinct = new LinkedHashMap<>(count * 2);
            Map<String, String> contexts = new HashMap<>(count * 2);
            for (int n = 0; n < count; n++) {
                String hash = in.readUTF();
                distinct.put(hash, HashType.valueOf(in.readUTF()));
                if (in.readBoolean()) {
                    contexts.put(hash, in.readUTF());
                }
            }
            if (in.read() != -1 || inflater.getRemaining() > 0 || source.available() > 0) {
                throw new IOException("bytes after the last hash");
            }
            return new ExtractedHashes(distinct, found, contexts);
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException("a staged upload cannot be read: " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        } finally {
            inflater.end();
        }
    }
}
