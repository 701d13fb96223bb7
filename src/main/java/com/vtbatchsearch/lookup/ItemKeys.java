package com.vtbatchsearch.lookup;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The sort and filter keys every batch item carries as columns of its own row: copies (denormalised) of what
 * its lookup and VirusTotal's answer say, so a report sorted or filtered by any of them reads its first page
 * through an index of {@code batch_items} alone (batch, key, position) instead of joining and sorting the
 * whole batch. The keys stay exact: every writer that changes what an item shows rewrites the keys of that
 * hash's items in the same transaction, after it has written (and so locked) the hash's {@code lookups} row:
 * an answer or a not-found ({@code LookupRepository.saveFound}, {@code saveNotFound}), a lookup given up as an
 * error ({@code recordFailure}), and an upload, which takes its own items' keys from the lookups it has just
 * locked and turns the items of failed lookups it opens again back to pending (see
 * {@code batch.BatchRepository.create}, {@link #fillAnswered}, {@link #reopenFailed}). Readers never see an item whose keys disagree with its lookup.
 *
 * <p><b>Adding a sortable or filterable column</b> takes three small steps:
 * <ol>
 *   <li>a migration adds the column to {@code batch_items}, fills it for the rows already there with the same
 *       expression as below ({@code UPDATE batch_items SET c = k.c FROM (SELECT l.hash AS hash, <expression> AS c
 *       FROM lookups l LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256) AS k WHERE
 *       batch_items.hash = k.hash}), and creates the index {@code (batch_id, c, position)}, partial
 *       ({@code WHERE c IS NOT NULL}) when the key is empty until an answer arrives, so an upload of pending
 *       hashes does not pay for it;</li>
 *   <li>a {@link Key} below: the column, its SQL type, and its expression over {@code l} (the lookup) and
 *       {@code f} (the file's answer, joined when the lookup is done; null otherwise);</li>
 *   <li>an {@code batch.ItemQuery.Sort} value, mapped to {@code i.<column>} in {@code BatchRepository.sortColumn}
 *       (saying whether it may be empty); a filter instead: a condition on {@code i.<column>} in
 *       {@code BatchRepository.where}, which never joins (counts of filtered items read batch_items alone).</li>
 * </ol>
 * Every writer picks the new key up by itself: they all write {@link #KEYS}.
 */
public final class ItemKeys {
    /** Characters of a text sort key: enough to order by, short enough for any index entry. */
    public static final int TEXT_KEY_LENGTH = 200;

    /** Verdict rank as {@code batch.ItemQuery.Verdict} orders them: the worst first when ascending. */
    public static final int MALICIOUS = 0;
    public static final int SUSPICIOUS = 1;
    public static final int CLEAN = 2;
    public static final int NOT_FOUND = 3;
    public static final int ERROR = 4;
    public static final int PENDING = 5;

    /** One denormalised column of {@code batch_items}, its SQL type, and the expression over {@code l} and {@code f} it copies. */
    public record Key(String column, int sqlType, String expression) {
    }

    public static final List<Key> KEYS = List.of(
            new Key("verdict", Types.INTEGER, """
                    CASE WHEN l.status = 'done' AND f.malicious > 0 THEN 0
                         WHEN l.status = 'done' AND f.suspicious > 0 THEN 1
                         WHEN l.status = 'done' THEN 2
                         WHEN l.status = 'not_found' THEN 3
                         WHEN l.status = 'error' THEN 4
                         ELSE 5 END"""),
            new Key("detections", Types.INTEGER, "f.malicious"),
            new Key("label_key", Types.VARCHAR, "SUBSTR(LOWER(f.label), 1, " + TEXT_KEY_LENGTH + ")"),
            new Key("name_key", Types.VARCHAR, "SUBSTR(LOWER(f.name), 1, " + TEXT_KEY_LENGTH + ")"),
            new Key("file_type_key", Types.VARCHAR, "SUBSTR(LOWER(f.file_type), 1, " + TEXT_KEY_LENGTH + ")"),
            new Key("first_seen", Types.BIGINT, "f.first_seen"),
            // What the text filter searches in the answer: its sha256, label, name and file type, lower case,
            // one per line. None of them holds a line break (StoredText turns them into spaces), so a filter
            // without one matches this text exactly when it matches one of them.
            new Key("answer_text", Types.VARCHAR, "LOWER(f.sha256 || '\n' || COALESCE(f.label, '') || '\n'"
                    + " || COALESCE(f.name, '') || '\n' || COALESCE(f.file_type, ''))"));

    /** Hashes per statement when rewriting keys. */
    private static final int CHUNK = 500;

    private ItemKeys() {
    }

    /**
     * {@code SELECT l.hash, l.status, l.refresh, l.updated_at, <keys...> FROM lookups l LEFT JOIN files f ...}:
     * a hash's lookup state and the keys its items carry; the keys are columns 5 onwards.
     */
    public static String selectStateAndKeys() {
        return "SELECT l.hash AS hash, l.status AS status, l.refresh AS refresh, l.updated_at AS updated_at, "
                + KEYS.stream().map(k -> "(" + k.expression() + ") AS " + k.column()).collect(Collectors.joining(", "))
                + " FROM lookups l LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256";
    }

    /** {@code c1 = k.c1, c2 = k.c2, ...}: the SET of an UPDATE of batch_items from a row {@code k} of keys. */
    private static String setFromK() {
        return KEYS.stream().map(k -> k.column() + " = k." + k.column()).collect(Collectors.joining(", "));
    }

    /**
     * Gives the items of a new batch whose hash is not pending (an answer, a not-found, a failure) their keys,
     * in one statement; pending items keep the column defaults. Call it after the upload has written (and so
     * locked) all its hashes' lookups rows.
     */
    public static void fillAnswered(Connection c, String batchId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE batch_items SET " + setFromK()
                + " FROM (" + selectStateAndKeys() + " JOIN batch_items b ON b.hash = l.hash"
                + " WHERE b.batch_id = ? AND l.status <> 'pending') AS k"
                + " WHERE batch_items.batch_id = ? AND batch_items.hash = k.hash")) {
            s.setString(1, batchId);
            s.setString(2, batchId);
            s.executeUpdate();
        }
    }

    /**
     * Rewrites the keys of every item (of any batch) of {@code hashes} from their lookups and answers as they
     * stand now in this transaction. Call it after writing those hashes' {@code lookups} rows, in the same
     * transaction: the rows are then locked until the commit, so no other writer can change them between.
     */
    public static void refresh(Connection c, Collection<String> hashes) throws SQLException {
        List<String> all = List.copyOf(hashes);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
            String marks = String.join(", ", Collections.nCopies(chunk.size(), "?"));
            String sql = "UPDATE batch_items SET " + setFromK() + " FROM (" + selectStateAndKeys() + " WHERE l.hash IN (" + marks + ")) AS k"
                    + " WHERE batch_items.hash = k.hash";
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int n = 0; n < chunk.size(); n++) {
                    s.setString(n + 1, chunk.get(n));
                }
                s.executeUpdate();
            }
        }
    }

    /**
     * Turns back to pending the items whose failed lookup an upload has just opened again (their lookup is
     * pending, their key still says error). Reads only the items keyed as errors, through a partial index.
     */
    public static void reopenFailed(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE batch_items SET verdict = " + PENDING
                + " WHERE verdict = " + ERROR + " AND EXISTS (SELECT 1 FROM lookups l WHERE l.hash = batch_items.hash"
                + " AND l.status = 'pending')")) {
            s.executeUpdate();
        }
    }
}
