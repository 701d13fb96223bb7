package com.vtbatchsearch.batch;

import com.vtbatchsearch.lookup.StoredAnswer;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** Batches, their items, and the views of them a report needs. */
public final class BatchRepository {
    private static final int CHUNK = 500;
    /** Rows an export reads per query. */
    static final int EXPORT_CHUNK = 2000;

    private static final String MARK_STALE_FOR_REFRESH = """
            UPDATE lookups SET refresh = 1, attempts = 0
            WHERE hash = ? AND refresh = 0
              AND ((status = 'done' AND updated_at < ?) OR (status = 'not_found' AND updated_at < ?))""";

    /** The batch's stale answers not being refreshed yet: those a refresh would look up again. */
    private static final String STALE_ITEMS = """

            FROM batch_items i JOIN lookups l ON l.hash = i.hash
            WHERE i.batch_id = ? AND l.refresh = 0
              AND ((l.status = 'done' AND l.updated_at < ?) OR (l.status = 'not_found' AND l.updated_at < ?))""";

    private final Database database;
    private final Freshness freshness;
    private final int exportChunk;

    public BatchRepository(Database database, Freshness freshness) {
        this(database, freshness, EXPORT_CHUNK);
    }

    /** With exports read {@code exportChunk} rows per query; tests use small chunks to cross many boundaries. */
    BatchRepository(Database database, Freshness freshness, int exportChunk) {
        this.database = database;
        this.freshness = freshness;
        this.exportChunk = exportChunk;
    }

    /**
     * Stores a batch and its items in one transaction: a hash with no answer yet (or only a failed
     * one) becomes pending, a stale answer is marked for refresh. The lookups rows are written in sorted order,
     * as every other writer does, so uploads sharing hashes never deadlock each other. A few set-wise statements
     * do the work: the items go in 250 rows per statement, one statement makes their hashes pending, one gives
     * the items whose hash has an answer their keys (see {@link ItemKeys}), read from the lookups just locked,
     * and one reads the lookups' states back. Items of other batches whose failed lookup this upload opens
     * again turn pending with it.
     *
     * @return the batch's hashes that need a lookup, in upload order: the ones made pending or marked
     *     for refresh now, and the ones already pending for another batch (queueing those for this batch
     *     too lets it take its turn; the lookup itself is still made once)
     */
    public List<String> create(String id, Instant createdAt, ExtractedHashes hashes) {
        long now = createdAt.toEpochMilli();
        long resultCutoff = freshness.resultCutoff(createdAt).toEpochMilli();
        long notFoundCutoff = freshness.notFoundCutoff(createdAt).toEpochMilli();
        return database.inTransaction("cannot store batch " + id, c -> {
            try (PreparedStatement batch = c.prepareStatement(
                    "INSERT INTO batches (id, created_at, found, unique_count) VALUES (?, ?, ?, ?)")) {
                batch.setString(1, id);
                batch.setLong(2, now);
                batch.setLong(3, hashes.found());
                batch.setInt(4, hashes.unique());
                batch.executeUpdate();
            }
            insertItems(c, id, new ArrayList<>(hashes.distinct().entrySet()), hashes);
            // One statement for all the batch's hashes: new ones become pending, failed ones pending again.
            // ON CONFLICT ... DO UPDATE locks the row even when its WHERE is false: taking the locks in
            // one order (the hashes sorted) is what keeps two uploads (or an upload and an answer) from
            // deadlocking, and what keeps the keys read next true until the commit.
            int written;
            try (PreparedStatement lookup = c.prepareStatement("""
                    INSERT INTO lookups (hash, status, attempts, updated_at)
                    SELECT i.hash, 'pending', 0, ? FROM batch_items i WHERE i.batch_id = ? ORDER BY i.hash
                    ON CONFLICT (hash) DO UPDATE SET status = 'pending', attempts = 0, error = NULL,
                      updated_at = excluded.updated_at
                    WHERE lookups.status = 'error'""")) {
                lookup.setLong(1, now);
                lookup.setString(2, id);
                written = lookup.executeUpdate();
            }
            if (written > 0) {
                ItemKeys.reopenFailed(c); // new rows, or failed lookups opened again: their items elsewhere
            }
            ItemKeys.fillAnswered(c, id);
            // One read of the batch's lookups finds both the stale answers (marked next, in sorted order, so
            // row locks come in the one order) and the open lookups, which the stale ones join once marked.
            List<String> open = new ArrayList<>();
            List<String> stale = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT i.hash, l.status, l.refresh, l.updated_at FROM batch_items i JOIN lookups l ON l.hash = i.hash
                    WHERE i.batch_id = ? ORDER BY i.position""")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        String status = r.getString(2);
                        boolean refreshing = r.getInt(3) == 1;
                        long updatedAt = r.getLong(4);
                        boolean isStale = !refreshing && (BatchItem.DONE.equals(status) && updatedAt < resultCutoff
                                || BatchItem.NOT_FOUND.equals(status) && updatedAt < notFoundCutoff);
                        if (isStale) {
                            stale.add(r.getString(1));
                        }
                        if (isStale || refreshing || "pending".equals(status)) {
                            open.add(r.getString(1));
                        }
                    }
                }
            }
            Collections.sort(stale);
            markStale(c, stale, resultCutoff, notFoundCutoff);
            return open;
        });
    }

    /** Rows per INSERT statement: few statements for a big batch, few enough parameters for any engine. */
    private static final int ROWS_PER_INSERT = 250;

    /**
     * Inserts the batch's items, many rows per statement, in upload order (each index of the batch's items
     * grows at its end); their keys keep the defaults of a pending item until {@link ItemKeys#fillAnswered}.
     */
    private static void insertItems(Connection c, String id, List<Map.Entry<String, HashType>> items,
            ExtractedHashes hashes) throws SQLException {
        String row = "(?, ?, ?, ?, ?)";
        String full = "INSERT INTO batch_items (batch_id, position, hash, hash_type, context) VALUES "
                + String.join(", ", Collections.nCopies(ROWS_PER_INSERT, row));
        try (PreparedStatement insert = c.prepareStatement(full)) {
            int position = 0;
            for (; position + ROWS_PER_INSERT <= items.size(); position += ROWS_PER_INSERT) {
                bindRows(insert, id, items, hashes, position, ROWS_PER_INSERT);
                insert.executeUpdate();
            }
            int rest = items.size() - position;
            if (rest > 0) {
                try (PreparedStatement last = c.prepareStatement("INSERT INTO batch_items (batch_id, position, hash,"
                        + " hash_type, context) VALUES " + String.join(", ", Collections.nCopies(rest, row)))) {
                    bindRows(last, id, items, hashes, position, rest);
                    last.executeUpdate();
                }
            }
        }
    }

    private static void bindRows(PreparedStatement insert, String id, List<Map.Entry<String, HashType>> items,
            ExtractedHashes hashes, int from, int count) throws SQLException {
        int p = 1;
        for (int n = from; n < from + count; n++) {
            insert.setString(p++, id);
            insert.setInt(p++, n);
            insert.setString(p++, items.get(n).getKey());
            insert.setString(p++, items.get(n).getValue().name());
            insert.setString(p++, hashes.context(items.get(n).getKey()));
        }
    }

    /** Marks the stale answers among {@code hashes} (sorted, so row locks come in the one order) for refresh. */
    private static void markStale(Connection c, List<String> hashes, long resultCutoff, long notFoundCutoff)
            throws SQLException {
        try (PreparedStatement stale = c.prepareStatement(MARK_STALE_FOR_REFRESH)) {
            for (int from = 0; from < hashes.size(); from += CHUNK) {
                for (String hash : hashes.subList(from, Math.min(hashes.size(), from + CHUNK))) {
                    stale.setString(1, hash);
                    stale.setLong(2, resultCutoff);
                    stale.setLong(3, notFoundCutoff);
                    stale.addBatch();
                }
                stale.executeBatch();
            }
        }
    }

    /**
     * Marks the batch's stale answers for refresh.
     *
     * @return the hashes marked now, in upload order (not those already open, which are queued already)
     */
    public List<String> requestRefresh(String id, Instant now) {
        long resultCutoff = freshness.resultCutoff(now).toEpochMilli();
        long notFoundCutoff = freshness.notFoundCutoff(now).toEpochMilli();
        return database.inTransaction("cannot refresh batch " + id, c -> {
            List<String> marked = new ArrayList<>();
            try (PreparedStatement stale = c.prepareStatement("SELECT i.hash" + STALE_ITEMS + " ORDER BY i.position")) {
                stale.setString(1, id);
                stale.setLong(2, resultCutoff);
                stale.setLong(3, notFoundCutoff);
                try (ResultSet r = stale.executeQuery()) {
                    while (r.next()) {
                        marked.add(r.getString(1));
                    }
                }
            }
            List<String> sorted = new ArrayList<>(marked);
            Collections.sort(sorted);
            markStale(c, sorted, resultCutoff, notFoundCutoff);
            return marked;
        });
    }

    /** How many lookups {@link #requestRefresh} would queue for the batch now. */
    public int countStale(String id, Instant now) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*)" + STALE_ITEMS)) {
            s.setString(1, id);
            s.setLong(2, freshness.resultCutoff(now).toEpochMilli());
            s.setLong(3, freshness.notFoundCutoff(now).toEpochMilli());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the stale answers of batch " + id, e);
        }
    }

    /**
     * How many of {@code hashes} would cost a lookup if a batch held them now: those with no answer
     * yet and not pending already, whose last answer was an error, or whose answer is stale.
     */
    public int countNeedingLookup(List<String> hashes) {
        int known = 0;
        Instant now = Instant.now();
        try (Connection c = database.connection()) {
            for (int from = 0; from < hashes.size(); from += CHUNK) {
                List<String> chunk = hashes.subList(from, Math.min(hashes.size(), from + CHUNK));
                String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
                // Known: answered and fresh, or already open. A failed or stale answer costs a lookup.
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT COUNT(*) FROM lookups
                        WHERE status <> 'error'
                          AND NOT (refresh = 0 AND ((status = 'done' AND updated_at < ?)
                                                    OR (status = 'not_found' AND updated_at < ?)))
                          AND hash IN (""" + marks + ")")) {
                    s.setLong(1, freshness.resultCutoff(now).toEpochMilli());
                    s.setLong(2, freshness.notFoundCutoff(now).toEpochMilli());
                    for (int i = 0; i < chunk.size(); i++) {
                        s.setString(i + 3, chunk.get(i));
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

    /**
     * The turns the other batches with open lookups take while this batch's {@code cap} open lookups
     * are made: each other batch's open lookups, at most {@code cap} each (batches take turns).
     * Counted in the database, which knows every batch's open lookups; the queue knows only whose turn it is.
     */
    public long turnsOfOthers(String id, long cap) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT COALESCE(SUM(CASE WHEN n < ? THEN n ELSE ? END), 0) FROM (
                          SELECT COUNT(*) AS n FROM lookups l JOIN batch_items i ON i.hash = l.hash
                          WHERE (l.status = 'pending' OR l.refresh = 1) AND i.batch_id <> ?
                          GROUP BY i.batch_id) open_per_batch""")) {
            s.setLong(1, cap);
            s.setLong(2, cap);
            s.setString(3, id);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the turns ahead of batch " + id, e);
        }
    }

    /** Every batch's open lookups (pending, or a stale answer being refreshed), by batch id; one statement. */
    public Map<String, Long> openPerBatch() {
        Map<String, Long> open = new java.util.HashMap<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT i.batch_id, COUNT(*) FROM lookups l JOIN batch_items i ON i.hash = l.hash
                        WHERE l.status = 'pending' OR l.refresh = 1
                        GROUP BY i.batch_id""");
                ResultSet r = s.executeQuery()) {
            while (r.next()) {
                open.put(r.getString(1), r.getLong(2));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the open lookups per batch", e);
        }
        return open;
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
                          SUM(CASE WHEN f.malicious = 0 AND f.suspicious > 0 THEN 1 ELSE 0 END),
                          SUM(CASE WHEN f.malicious = 0 AND f.suspicious = 0 THEN 1 ELSE 0 END),
                          SUM(l.refresh)
                        FROM batch_items i
                        JOIN lookups l ON l.hash = i.hash
                        LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                        WHERE i.batch_id = ?""")) {
            s.setString(1, batch.getId());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                int pending = r.getInt(1);
                return new BatchCounts(batch.getFound(), batch.getUnique(), batch.getUnique() - pending, pending,
                        r.getInt(2), r.getInt(3), r.getInt(4), r.getInt(5), r.getInt(6), r.getInt(7));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count batch " + batch.getId(), e);
        }
    }

    /** The batch's distinct hashes in order of first appearance, each with its current lookup state. */
    public List<BatchItem> items(String batchId) {
        return items(batchId, ItemQuery.ALL);
    }

    /** The items a query asks for: filtered, sorted and paged in SQL, so a page never reads the whole batch. */
    public List<BatchItem> items(String batchId, ItemQuery query) {
        List<BatchItem> items = new ArrayList<>();
        forEachItem(batchId, query, items::add);
        return items;
    }

    /**
     * Hands the items a query asks for to {@code consumer} one by one, for exports. Rows are read in
     * chunks ({@link #EXPORT_CHUNK} rows), each chunk by a query of its own on a connection that is back in the
     * pool before {@code consumer} sees a row: a client that reads slowly, or stops reading, holds neither
     * a pooled connection nor a read transaction (which would stop SQLite's WAL checkpoints). Each chunk
     * starts after the sort key and position of the last row of the one before (keyset paging), so rows
     * that tie on the sort key come once each across chunk boundaries.
     *
     * <p>A sort reads the items that have a value first, in the order of the index (batch, key, position):
     * by key, ties in upload order, both reversed when descending; then, for a key that may be empty, the
     * items without one, in upload order. Each part is a range of an index, so a page costs the same
     * whatever the batch's size.
     *
     * @throws StoreException when a chunk cannot be read; the rows handed over before stay handed over
     */
    public void forEachItem(String batchId, ItemQuery query, Consumer<BatchItem> consumer) {
        SortColumn column = sortColumn(query.sort());
        boolean hasEmptyPart = column != null && column.mayBeEmpty();
        if (query.isPaged()) {
            List<Object> arguments = new ArrayList<>();
            String sql = pageSql(batchId, query, arguments);
            List<BatchItem> page = new ArrayList<>(query.limit());
            read(batchId, sql, arguments, page);
            if (hasEmptyPart && page.size() < query.limit()) {
                // The page reaches past the items with a value: the rest comes from those without one.
                long skip = page.isEmpty() && query.offset() > 0
                        ? Math.max(0, query.offset() - countWithValue(batchId, query, column)) : 0;
                List<Object> emptyArguments = new ArrayList<>();
                read(batchId, partSql(batchId, query, true, null, emptyArguments) + " LIMIT "
                        + (query.limit() - page.size()) + " OFFSET " + skip, emptyArguments, page);
            }
            page.forEach(consumer);
            return;
        }
        boolean empty = false;
        Cursor after = null;
        while (true) {
            List<Object> arguments = new ArrayList<>();
            String sql = partSql(batchId, query, empty, after, arguments) + " LIMIT " + exportChunk;
            List<BatchItem> chunk = new ArrayList<>(exportChunk);
            after = read(batchId, sql, arguments, chunk);
            chunk.forEach(consumer);
            if (chunk.size() < exportChunk) {
                if (hasEmptyPart && !empty) {
                    empty = true;
                    after = null;
                    continue;
                }
                return;
            }
        }
    }

    /** The statement that reads one page of a query's items with a value; its arguments are added to {@code arguments}. */
    static String pageSql(String batchId, ItemQuery query, List<Object> arguments) {
        return partSql(batchId, query, false, null, arguments) + " LIMIT " + query.limit() + " OFFSET " + query.offset();
    }

    /**
     * The statement for the items of one part of a sort (see {@link #forEachItem}), after {@code cursor} when
     * there is one, in the part's order, without its LIMIT.
     */
    private static String partSql(String batchId, ItemQuery query, boolean empty, Cursor cursor,
            List<Object> arguments) {
        SortColumn column = sortColumn(query.sort());
        StringBuilder sql = new StringBuilder(itemColumns(query)).append(FROM_ITEMS)
                .append(where(batchId, query, arguments));
        String direction = query.descending() && !empty ? " DESC" : " ASC";
        if (column == null) {
            if (cursor != null) {
                arguments.add(cursor.position());
                sql.append(query.descending() ? " AND i.position < ?" : " AND i.position > ?");
            }
            return sql.append(" ORDER BY i.position").append(direction).toString();
        }
        if (empty) {
            sql.append(" AND ").append(column.column()).append(" IS NULL");
            if (cursor != null) {
                arguments.add(cursor.position());
                sql.append(" AND i.position > ?");
            }
            return sql.append(" ORDER BY i.position ASC").toString();
        }
        if (column.mayBeEmpty()) {
            sql.append(" AND ").append(column.column()).append(" IS NOT NULL");
        }
        if (column.unique()) {
            // Distinct within a batch: the key alone orders the items, as its index (batch_id, key) does.
            if (cursor != null) {
                arguments.add(cursor.key());
                sql.append(" AND ").append(column.column()).append(query.descending() ? " < ?" : " > ?");
            }
            return sql.append(" ORDER BY ").append(column.column()).append(direction).toString();
        }
        if (cursor != null) {
            arguments.add(cursor.key());
            arguments.add(cursor.position());
            sql.append(" AND (").append(column.column()).append(", i.position)")
                    .append(query.descending() ? " < (?, ?)" : " > (?, ?)");
        }
        return sql.append(" ORDER BY ").append(column.column()).append(direction).append(", i.position")
                .append(direction).toString();
    }

    /** How many items match the query's filters and have a value in the sort's column. */
    private int countWithValue(String batchId, ItemQuery query, SortColumn column) {
        List<Object> arguments = new ArrayList<>();
        return count(batchId, COUNT_FROM + where(batchId, query, arguments) + " AND " + column.column()
                + " IS NOT NULL", arguments);
    }

    /** Where the last row read stands in the sort: its sort key (null when empty) and its position. */
    private record Cursor(Object key, long position) {
    }

    /**
     * Runs an item query and collects its rows into {@code into}, then gives the connection back;
     * answers where the last row stands, or null when there was none.
     */
    private Cursor read(String batchId, String sql, List<Object> arguments, List<BatchItem> into) {
        Cursor last = null;
        Instant now = Instant.now();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, arguments);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    BatchItem.Verdict verdict = r.getString(12) == null ? null : new BatchItem.Verdict(
                            r.getInt(5), r.getInt(6), r.getInt(7), r.getInt(8), r.getString(9), r.getString(10),
                            r.getString(11), r.getString(12), instant(r, 13), instant(r, 14));
                    into.add(new BatchItem(r.getString(1), HashType.valueOf(r.getString(2)), r.getString(3),
                            r.getString(4), verdict, isStale(r.getString(3), r.getLong(16), now), r.getInt(17) == 1,
                            r.getString(18)));
                    last = new Cursor(r.getObject(19), r.getLong(15));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the items of batch " + batchId, e);
        }
        return last;
    }

    /** How many items of the batch match the query's filters (its sort and page aside). */
    public int countItems(String batchId, ItemQuery query) {
        List<Object> arguments = new ArrayList<>();
        return count(batchId, COUNT_FROM + where(batchId, query, arguments), arguments);
    }

    private int count(String batchId, String sql, List<Object> arguments) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*)" + sql)) {
            bind(s, arguments);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the items of batch " + batchId, e);
        }
    }

    /** The lookup state of one hash of a batch and VirusTotal's raw answer for it; empty when the batch lacks it. */
    public Optional<ItemDetails> details(String batchId, String hash) {
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("""
                        SELECT i.hash, l.status, f.raw_json, f.raw_gzip
                        FROM batch_items i
                        JOIN lookups l ON l.hash = i.hash
                        LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                        WHERE i.batch_id = ? AND i.hash = ?""")) {
            s.setString(1, batchId);
            s.setString(2, hash);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new ItemDetails(r.getString(1), r.getString(2),
                        StoredAnswer.read(r.getBytes(4), r.getString(3))));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read hash " + hash + " of batch " + batchId, e);
        }
    }

    /** One hash of a batch, its lookup status and VirusTotal's answer as stored (null unless found). */
    public record ItemDetails(String hash, String status, String rawJson) {
    }

    private static final String ITEM_COLUMNS = """
            SELECT i.hash, i.hash_type, l.status, l.error,
                   f.malicious, f.suspicious, f.undetected, f.harmless, f.label, f.name, f.file_type,
                   f.sha256, f.first_seen, f.last_analysis, i.position, l.updated_at, l.refresh, i.context""";

    /** The item columns and, last, the query's sort key, where the next chunk of an export starts. */
    private static String itemColumns(ItemQuery query) {
        SortColumn column = sortColumn(query.sort());
        return ITEM_COLUMNS + ", " + (column == null ? "i.position" : column.column());
    }

    private static final String FROM_ITEMS = """

            FROM batch_items i
            JOIN lookups l ON l.hash = i.hash
            LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
            WHERE i.batch_id = ?""";

    /** Counting needs no join: every filter reads the item's own keys (see {@link ItemKeys}). */
    private static final String COUNT_FROM = " FROM batch_items i WHERE i.batch_id = ?";

    /** The filters, on the item's own row only: its verdict key, its hash, its line and its answer's text. */
    private static String where(String batchId, ItemQuery query, List<Object> arguments) {
        arguments.add(batchId);
        StringBuilder sql = new StringBuilder();
        if (query.verdict() != null) {
            sql.append(" AND i.verdict = ").append(switch (query.verdict()) {
                case MALICIOUS -> ItemKeys.MALICIOUS;
                case SUSPICIOUS -> ItemKeys.SUSPICIOUS;
                case CLEAN -> ItemKeys.CLEAN;
                case NOT_FOUND -> ItemKeys.NOT_FOUND;
                case ERROR -> ItemKeys.ERROR;
                case PENDING -> ItemKeys.PENDING;
            });
        }
        if (query.text() != null) {
            // LOWER on both sides: SQLite's LIKE ignores case, PostgreSQL's does not (answer_text is lower case).
            String lower = query.text().toLowerCase(java.util.Locale.ROOT);
            String pattern = "%" + lower.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            sql.append(" AND (i.hash LIKE ? ESCAPE '\\' OR LOWER(i.context) LIKE ? ESCAPE '\\'");
            arguments.add(pattern);
            arguments.add(pattern);
            if (lower.indexOf('\n') < 0) {
                // A filter with a line break matches no single field of the answer (none holds one).
                sql.append(" OR i.answer_text LIKE ? ESCAPE '\\'");
                arguments.add(pattern);
            }
            sql.append(")");
        }
        return sql.toString();
    }

    /**
     * A column of batch_items a sort orders by (before upload order), whether it may be empty (null), and
     * whether it is distinct within a batch (then upload order never decides).
     */
    private record SortColumn(String column, boolean mayBeEmpty, boolean unique) {
        SortColumn(String column, boolean mayBeEmpty) {
            this(column, mayBeEmpty, false);
        }
    }

    /**
     * The column each sort orders by, from the keys each item carries (see {@link ItemKeys}); null for upload
     * order itself. Each has an index (batch_id, column, position).
     */
    private static SortColumn sortColumn(ItemQuery.Sort sort) {
        return switch (sort) {
            case POSITION -> null;
            case HASH -> new SortColumn("i.hash", false, true);
            case TYPE -> new SortColumn("i.hash_type", false); // MD5 < SHA1 < SHA256: the order of their lengths
            case VERDICT -> new SortColumn("i.verdict", false);
            case DETECTIONS -> new SortColumn("i.detections", true);
            case LABEL -> new SortColumn("i.label_key", true);
            case NAME -> new SortColumn("i.name_key", true);
            case FILE_TYPE -> new SortColumn("i.file_type_key", true);
            case FIRST_SEEN -> new SortColumn("i.first_seen", true);
        };
    }

    private static void bind(PreparedStatement s, List<Object> arguments) throws SQLException {
        for (int n = 0; n < arguments.size(); n++) {
            s.setObject(n + 1, arguments.get(n));
        }
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

    /**
     * Deletes a batch and its items in one transaction; the answers stay cached. A lookup still open
     * only for this batch is dropped too, so the queue entries left behind cost no VirusTotal call:
     * a pending hash no other batch holds loses its row (it held no answer), a stale answer being
     * refreshed keeps its answer and stops being refreshed. On PostgreSQL those rows are locked first
     * and a row another transaction holds is skipped: an upload that holds it needs it, and an upload
     * that comes after waits for this commit and makes the hash pending again.
     *
     * @return false when there was no such batch
     */
    public boolean delete(String id) {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                List<String> open = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT l.hash FROM lookups l JOIN batch_items i ON i.hash = l.hash
                        WHERE i.batch_id = ? AND (l.status = 'pending' OR l.refresh = 1)"""
                        + (database.isPostgres() ? " FOR UPDATE OF l SKIP LOCKED" : ""))) {
                    s.setString(1, id);
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            open.add(r.getString(1));
                        }
                    }
                }
                int deleted;
                try (PreparedStatement items = c.prepareStatement("DELETE FROM batch_items WHERE batch_id = ?");
                        PreparedStatement batch = c.prepareStatement("DELETE FROM batches WHERE id = ?")) {
                    items.setString(1, id);
                    items.executeUpdate();
                    batch.setString(1, id);
                    deleted = batch.executeUpdate();
                }
                dropUnwanted(c, open);
                c.commit();
                return deleted > 0;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot delete batch " + id, e);
        }
    }

    /** Of these open lookups, drops those that no remaining batch holds (see {@link #delete}). */
    private static void dropUnwanted(Connection c, List<String> open) throws SQLException {
        String unwanted = " AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.hash = lookups.hash)";
        for (int from = 0; from < open.size(); from += CHUNK) {
            List<String> chunk = open.subList(from, Math.min(open.size(), from + CHUNK));
            String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
            try (PreparedStatement pending = c.prepareStatement("DELETE FROM lookups WHERE status = 'pending' AND hash IN ("
                    + marks + ")" + unwanted);
                    PreparedStatement refresh = c.prepareStatement("UPDATE lookups SET refresh = 0 WHERE refresh = 1"
                            + " AND status <> 'pending' AND hash IN (" + marks + ")" + unwanted)) {
                for (int i = 0; i < chunk.size(); i++) {
                    pending.setString(i + 1, chunk.get(i));
                    refresh.setString(i + 1, chunk.get(i));
                }
                pending.executeUpdate();
                refresh.executeUpdate();
            }
        }
    }

    /** The ids of up to {@code limit} batches created before {@code cutoff}, oldest first. */
    public List<String> createdBefore(Instant cutoff, int limit) {
        List<String> ids = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT id FROM batches WHERE created_at < ? ORDER BY created_at LIMIT " + limit)) {
            s.setLong(1, cutoff.toEpochMilli());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot list batches created before " + cutoff, e);
        }
        return ids;
    }

    /** An answer older than its time to live: shown, but marked stale. */
    private boolean isStale(String status, long updatedAt, Instant now) {
        return BatchItem.DONE.equals(status) && updatedAt < freshness.resultCutoff(now).toEpochMilli()
                || BatchItem.NOT_FOUND.equals(status) && updatedAt < freshness.notFoundCutoff(now).toEpochMilli();
    }

    static Instant instant(ResultSet r, int column) throws SQLException {
        long millis = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
