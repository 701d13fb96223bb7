package com.vtbatchsearch.batch;

import com.vtbatchsearch.lookup.AnswerFields;
import com.vtbatchsearch.lookup.ItemKeys;
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
import java.util.LinkedHashMap;
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
    private final VerdictPolicy policy;

    public BatchRepository(Database database, Freshness freshness) {
        this(database, freshness, EXPORT_CHUNK);
    }

    /** Under a verdict policy (MALICIOUS_MIN_ENGINES, MY_ENGINES) for counts, filters, sorts and items. */
    public BatchRepository(Database database, Freshness freshness, VerdictPolicy policy) {
        this(database, freshness, EXPORT_CHUNK, policy);
    }

    /** With exports read {@code exportChunk} rows per query; tests use small chunks to cross many boundaries. */
    BatchRepository(Database database, Freshness freshness, int exportChunk) {
        this(database, freshness, exportChunk, VerdictPolicy.DEFAULT);
    }

    BatchRepository(Database database, Freshness freshness, int exportChunk, VerdictPolicy policy) {
        this.database = database;
        this.freshness = freshness;
        this.exportChunk = exportChunk;
        this.policy = policy;
    }

    /** The verdict policy this repository counts and filters by. */
    public VerdictPolicy policy() {
        return policy;
    }

    /** The database the batches live in, for the repositories that share it. */
    public Database database() {
        return database;
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
        return database.inTransaction("cannot store batch " + id, c -> create(c, id, createdAt, hashes));
    }

    /** {@link #create(String, Instant, ExtractedHashes)} inside the caller's transaction. */
    List<String> create(Connection c, String id, Instant createdAt, ExtractedHashes hashes) throws SQLException {
        long now = createdAt.toEpochMilli();
        long resultCutoff = freshness.resultCutoff(createdAt).toEpochMilli();
        long notFoundCutoff = freshness.notFoundCutoff(createdAt).toEpochMilli();
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
                          SUM(CASE WHEN %s THEN 1 ELSE 0 END),
                          SUM(CASE WHEN %s THEN 1 ELSE 0 END),
                          SUM(CASE WHEN f.malicious = 0 AND f.suspicious = 0 THEN 1 ELSE 0 END),
                          SUM(l.refresh),
                          SUM(CASE WHEN %s THEN 1 ELSE 0 END)
                        FROM batch_items i
                        JOIN lookups l ON l.hash = i.hash
                        LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
                        WHERE i.batch_id = ?""".formatted(policy.maliciousSql(), policy.suspiciousSql(),
                        policy.myEngines().isEmpty() ? "1 = 0" : gapSql(policy.myEngines())))) {
            int n = 1;
            for (String engine : policy.myEngines()) {
                s.setString(n++, enginePattern(engine));
            }
            s.setString(n, batch.getId());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                int pending = r.getInt(1);
                BatchCounts counts = new BatchCounts(batch.getFound(), batch.getUnique(), batch.getUnique() - pending,
                        pending, r.getInt(2), r.getInt(3), r.getInt(4), r.getInt(5), r.getInt(6), r.getInt(7));
                return policy.myEngines().isEmpty() ? counts : counts.withGap(r.getInt(8));
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
    public void forEachItem(String batchId, ItemQuery asked, Consumer<BatchItem> consumer) {
        ItemQuery query = asked.withPolicy(policy);
        SortColumn column = sortColumn(query);
        boolean hasEmptyPart = column != null && column.mayBeEmpty();
        if (query.isPaged()) {
            List<Object> arguments = new ArrayList<>();
            String sql = pageSql(batchId, query, arguments);
            List<BatchItem> page = new ArrayList<>(query.limit());
            read(batchId, query, sql, arguments, page);
            if (hasEmptyPart && page.size() < query.limit()) {
                // The page reaches past the items with a value: the rest comes from those without one.
                long skip = page.isEmpty() && query.offset() > 0
                        ? Math.max(0, query.offset() - countWithValue(batchId, query, column)) : 0;
                List<Object> emptyArguments = new ArrayList<>();
                read(batchId, query, partSql(batchId, query, true, null, emptyArguments) + " LIMIT "
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
            after = read(batchId, query, sql, arguments, chunk);
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

    /** One row of a batch that holds a hash of a file: the hash as uploaded, where, and the line it came from. */
    public record FileRow(String hash, int position, String context) {
    }

    /**
     * A file VirusTotal knows, its three hashes, and the rows of a batch that matched a query and hold one
     * of them (its md5, sha1 or sha256 as uploaded), in upload order: the first is the row that stands for
     * the file in an export that lists each file once.
     */
    public record FileRows(String sha256, String md5, String sha1, List<FileRow> rows) {
    }

    /** Files asked about per statement: three hashes each, well under any engine's limit of parameters. */
    private static final int FILES_PER_STATEMENT = 300;

    /**
     * For each of {@code sha256s} (files VirusTotal knows), its md5 and sha1 and the batch's rows that hold
     * any of its three hashes and match the query's filters. Read through the primary key of the answers
     * and the index on (batch_id, hash): the cost grows with the files asked about, not with the batch.
     * A file with no matching row in the batch (its answer changed meanwhile) is left out.
     */
    public Map<String, FileRows> matchingRowsOf(String batchId, ItemQuery query, java.util.Collection<String> sha256s) {
        Map<String, FileRows> found = new java.util.HashMap<>();
        List<String> all = new ArrayList<>(new java.util.LinkedHashSet<>(sha256s));
        try (Connection c = database.connection()) {
            for (int from = 0; from < all.size(); from += FILES_PER_STATEMENT) {
                List<String> part = all.subList(from, Math.min(all.size(), from + FILES_PER_STATEMENT));
                Map<String, String[]> hashes = new java.util.HashMap<>();
                try (PreparedStatement s = c.prepareStatement("SELECT sha256, md5, sha1 FROM files WHERE sha256 IN ("
                        + String.join(",", Collections.nCopies(part.size(), "?")) + ")")) {
                    bind(s, new ArrayList<>(part));
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            hashes.put(r.getString(1), new String[] {r.getString(1), r.getString(2), r.getString(3)});
                        }
                    }
                }
                List<Object> arguments = new ArrayList<>();
                List<Object> named = new ArrayList<>();
                hashes.values().forEach(h -> {
                    for (String hash : h) {
                        if (hash != null && !hash.isEmpty()) {
                            named.add(hash);
                        }
                    }
                });
                if (named.isEmpty()) {
                    continue;
                }
                String sql = "SELECT l.sha256, i.hash, i.position, i.context" + FROM_ITEMS + where(batchId, query, arguments)
                        + " AND l.status = 'done' AND i.hash IN (" + String.join(",", Collections.nCopies(named.size(), "?"))
                        + ")"; // no ORDER BY: SQLite would walk the batch in position order instead of the hash index
                arguments.addAll(named);
                Map<String, List<FileRow>> rows = new java.util.HashMap<>();
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    bind(s, arguments);
                    try (ResultSet r = s.executeQuery()) {
                        while (r.next()) {
                            rows.computeIfAbsent(r.getString(1), k -> new ArrayList<>(3))
                                    .add(new FileRow(r.getString(2), r.getInt(3), r.getString(4)));
                        }
                    }
                }
                rows.forEach((sha256, list) -> {
                    list.sort(java.util.Comparator.comparingInt(FileRow::position));
                    String[] h = hashes.get(sha256);
                    if (h != null) {
                        found.put(sha256, new FileRows(sha256, h[1], h[2], List.copyOf(list)));
                    }
                });
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the files of batch " + batchId, e);
        }
        return found;
    }

    /** How many rows a query matches, and how they stand: answered (VirusTotal knows the file) or not. */
    public record ExportCounts(int matched, int answered, int pending, int notFound, int errors) {
    }

    /** Counts the rows a query's filters match (its sort and page aside), by lookup state; one statement. */
    public ExportCounts exportCounts(String batchId, ItemQuery query) {
        List<Object> arguments = new ArrayList<>();
        String sql = """
                SELECT COUNT(*), COALESCE(SUM(CASE WHEN l.status = 'done' THEN 1 ELSE 0 END), 0),
                  COALESCE(SUM(CASE WHEN l.status = 'pending' THEN 1 ELSE 0 END), 0),
                  COALESCE(SUM(CASE WHEN l.status = 'not_found' THEN 1 ELSE 0 END), 0),
                  COALESCE(SUM(CASE WHEN l.status = 'error' THEN 1 ELSE 0 END), 0)"""
                + FROM_ITEMS + where(batchId, query, arguments);
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, arguments);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return new ExportCounts(r.getInt(1), r.getInt(2), r.getInt(3), r.getInt(4), r.getInt(5));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the items of batch " + batchId, e);
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
        SortColumn column = sortColumn(query);
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
        return count(batchId, countFrom(query, column) + where(batchId, query, arguments) + " AND " + column.column()
                + " IS NOT NULL", arguments);
    }

    /** Where the last row read stands in the sort: its sort key (null when empty) and its position. */
    private record Cursor(Object key, long position) {
    }

    /**
     * Runs an item query and collects its rows into {@code into}, then gives the connection back;
     * answers where the last row stands, or null when there was none.
     */
    private Cursor read(String batchId, ItemQuery query, String sql, List<Object> arguments, List<BatchItem> into) {
        Cursor last = null;
        Instant now = Instant.now();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, arguments);
            Map<String, String> spelled = query.engines().isEmpty() ? Map.of() : knownEngines(c, query.engines());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    BatchItem.Verdict verdict = r.getString(12) == null ? null : new BatchItem.Verdict(
                            r.getInt(5), r.getInt(6), r.getInt(7), r.getInt(8), r.getString(9), r.getString(10),
                            r.getString(11), r.getString(12), instant(r, 13), instant(r, 14), r.getString(19),
                            r.getString(20), tags(r.getString(21)), fields(r, 22));
                    into.add(new BatchItem(r.getString(1), HashType.valueOf(r.getString(2)), r.getString(3),
                            r.getString(4), verdict, isStale(r.getString(3), r.getLong(16), now), r.getInt(17) == 1,
                            r.getString(18), query.policy(),
                            verdict == null || query.engines().isEmpty() ? null
                                    : engineResults(query.engines(), spelled, r.getString(32)), change(r)));
                    last = new Cursor(r.getObject(SORT_KEY_COLUMN), r.getLong(15));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the items of batch " + batchId, e);
        }
        return last;
    }

    /**
     * The chosen engines' results for a file from its {@code flagged_engines} (see {@link BatchItem#getEngines()}),
     * keyed as VirusTotal spells each engine ({@code spelled}) or, for one no answer names, as it was asked for.
     */
    private static Map<String, String> engineResults(List<String> engines, Map<String, String> spelled,
            String flaggedEngines) {
        Map<String, String> byEngine = new java.util.HashMap<>();
        AnswerFields.parseFlagged(flaggedEngines)
                .forEach((engine, result) -> byEngine.put(engine.toLowerCase(java.util.Locale.ROOT), result));
        Map<String, String> results = new java.util.LinkedHashMap<>();
        for (String engine : engines) {
            results.put(spelled.getOrDefault(engine, engine), byEngine.get(engine.toLowerCase(java.util.Locale.ROOT)));
        }
        return results;
    }

    /**
     * Which of {@code engines} appear in some stored answer, each as VirusTotal spells it; the others (a
     * typo, a product VirusTotal does not run) are missing from the answer's keys.
     */
    public Map<String, String> knownEngines(List<String> engines) {
        if (engines.isEmpty()) {
            return Map.of();
        }
        try (Connection c = database.connection()) {
            return knownEngines(c, engines);
        } catch (SQLException e) {
            throw new StoreException("cannot read the engine names", e);
        }
    }

    private static Map<String, String> knownEngines(Connection c, List<String> engines) throws SQLException {
        Map<String, String> known = new java.util.HashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT engine FROM engine_names WHERE LOWER(engine) IN ("
                + String.join(",", Collections.nCopies(engines.size(), "?")) + ")")) {
            for (int n = 0; n < engines.size(); n++) {
                s.setString(n + 1, engines.get(n).toLowerCase(java.util.Locale.ROOT));
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    known.put(r.getString(1).toLowerCase(java.util.Locale.ROOT), r.getString(1));
                }
            }
        }
        Map<String, String> answer = new java.util.LinkedHashMap<>();
        for (String engine : engines) {
            String name = known.get(engine.toLowerCase(java.util.Locale.ROOT));
            if (name != null) {
                answer.put(engine, name);
            }
        }
        return answer;
    }

    /** The facets a report offers, each with the expression that gives its value of a found file. */
    public enum Facet {
        FAMILY("family", "f.threat_family", "family"), CATEGORY("category", "f.threat_category", "category"),
        YARA_RULES("yaraRules", "y.rule", "yaraRule"), FILE_TYPE("fileType", "f.file_type", "fileType"),
        SIGNER("signer", "f.signer", "signer"), FIRST_SEEN_YEAR("firstSeenYear", "f.first_seen_year", "firstSeenYear");

        private final String key;
        private final String column;
        private final String parameter;

        Facet(String key, String column, String parameter) {
            this.key = key;
            this.column = column;
            this.parameter = parameter;
        }

        /** Its name in the facets' answer. */
        public String key() {
            return key;
        }

        /** The report's filter parameter that selects one of its values. */
        public String parameter() {
            return parameter;
        }

        public static Optional<Facet> parse(String key) {
            for (Facet f : values()) {
                if (f.key.equals(key)) {
                    return Optional.of(f);
                }
            }
            return Optional.empty();
        }
    }

    /** One value of a facet and how many of the batch's files have it. */
    public record FacetValue(String value, long count) {
    }

    /**
     * The batch's top {@code limit} values of a facet with their counts, most frequent first (ties by value):
     * one grouped statement over the batch's found files and the columns kept when their answers were
     * stored, never the answers themselves.
     */
    public List<FacetValue> facet(String batchId, Facet facet, int limit) {
        String join = facet == Facet.YARA_RULES ? " JOIN file_yara_rules y ON y.sha256 = f.sha256" : "";
        String sql = "SELECT " + facet.column + ", COUNT(*) FROM batch_items i JOIN lookups l ON l.hash = i.hash"
                + " JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256" + join
                + " WHERE i.batch_id = ? AND " + facet.column + " IS NOT NULL"
                + " GROUP BY " + facet.column + " ORDER BY COUNT(*) DESC, " + facet.column + " LIMIT " + limit;
        List<FacetValue> values = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, batchId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    values.add(new FacetValue(r.getString(1), r.getLong(2)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the " + facet.key + " facet of batch " + batchId, e);
        }
        return values;
    }

    /**
     * The batch's top {@code limit} values of every facet, in {@link Facet} order: the five that are columns
     * of {@code files} from one statement grouped by all five at once (one walk of the batch instead of
     * five; the distinct combinations are summed per facet here), the YARA rules from one more.
     */
    public Map<String, List<FacetValue>> facets(String batchId, int limit) {
        List<Facet> columns = List.of(Facet.FAMILY, Facet.CATEGORY, Facet.FILE_TYPE, Facet.SIGNER, Facet.FIRST_SEEN_YEAR);
        List<Map<String, Long>> sums = new ArrayList<>();
        columns.forEach(f -> sums.add(new java.util.HashMap<>()));
        String list = String.join(", ", columns.stream().map(f -> f.column).toList());
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("SELECT " + list + ", COUNT(*) FROM batch_items i"
                        + " JOIN lookups l ON l.hash = i.hash JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256"
                        + " WHERE i.batch_id = ? GROUP BY " + list)) {
            s.setString(1, batchId);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    long count = r.getLong(columns.size() + 1);
                    for (int n = 0; n < columns.size(); n++) {
                        String value = r.getString(n + 1);
                        if (value != null) {
                            sums.get(n).merge(value, count, Long::sum);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the facets of batch " + batchId, e);
        }
        Map<String, List<FacetValue>> facets = new LinkedHashMap<>();
        for (Facet facet : Facet.values()) {
            int n = columns.indexOf(facet);
            facets.put(facet.key, n < 0 ? facet(batchId, facet, limit) : sums.get(n).entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(limit).map(e -> new FacetValue(e.getKey(), e.getValue())).toList());
        }
        return facets;
    }

    /** What the batch's last re-check changed in the row's item (columns 33–41); null when nothing. */
    private static BatchItem.Change change(ResultSet r) throws SQLException {
        String kinds = r.getString(33);
        if (kinds == null) {
            return null;
        }
        return new BatchItem.Change(ChangeKind.read(kinds), new BatchItem.Previous(r.getString(34),
                String.valueOf(instant(r, 35)),
                integer(r, 36), integer(r, 37), integer(r, 38), integer(r, 39), r.getString(40), r.getString(41)));
    }

    private static Integer integer(ResultSet r, int column) throws SQLException {
        int value = r.getInt(column);
        return r.wasNull() ? null : value;
    }

    /** How many items of the batch match the query's filters (its sort and page aside). */
    public int countItems(String batchId, ItemQuery asked) {
        ItemQuery query = asked.withPolicy(policy);
        List<Object> arguments = new ArrayList<>();
        return count(batchId, countFrom(query, null) + where(batchId, query, arguments), arguments);
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
                   f.sha256, f.first_seen, f.last_analysis, i.position, l.updated_at, l.refresh, i.context,
                   f.md5, f.sha1, f.tags, f.file_size, f.times_submitted, f.threat_family, f.threat_category,
                   f.signer, f.signer_verified, f.yara_rules, f.sigma, f.sandbox_verdicts, f.first_seen_year,
                   f.flagged_engines,
                   c.kinds, c.prev_status, c.prev_answered_at, c.prev_malicious, c.prev_suspicious, c.prev_undetected,
                   c.prev_harmless, c.prev_label, c.prev_family""";

    /** Where {@link #itemColumns} puts the sort key: after {@link #ITEM_COLUMNS}. */
    private static final int SORT_KEY_COLUMN = 42;

    private static final com.fasterxml.jackson.core.type.TypeReference<List<String>> STRINGS =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };
    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Integer>> COUNTS =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };
    private static final com.fasterxml.jackson.core.type.TypeReference<List<AnswerFields.SandboxVerdict>> SANDBOXES =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };

    /** The tags column: comma-separated, empty when none. */
    private static List<String> tags(String stored) {
        return stored == null || stored.isBlank() ? List.of()
                : java.util.Arrays.stream(stored.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList();
    }

    /** The answer fields of a row, from column {@code from} on (file_size ... first_seen_year). */
    private static AnswerFields fields(ResultSet r, int from) throws SQLException {
        Long size = r.getObject(from) == null ? null : r.getLong(from);
        Long submitted = r.getObject(from + 1) == null ? null : r.getLong(from + 1);
        Boolean verified = r.getObject(from + 5) == null ? null : r.getInt(from + 5) == 1;
        Integer year = r.getObject(from + 9) == null ? null : r.getInt(from + 9);
        List<String> rules = AnswerFields.fromJson(r.getString(from + 6), STRINGS);
        List<AnswerFields.SandboxVerdict> sandboxes = AnswerFields.fromJson(r.getString(from + 8), SANDBOXES);
        return new AnswerFields(size, submitted, r.getString(from + 2), r.getString(from + 3), r.getString(from + 4),
                verified, rules == null ? List.of() : rules, AnswerFields.fromJson(r.getString(from + 7), COUNTS),
                sandboxes == null ? List.of() : sandboxes, year, Map.of(), java.util.Set.of());
    }

    /** The item columns and, last, the query's sort key, where the next chunk of an export starts. */
    private static String itemColumns(ItemQuery query) {
        SortColumn column = sortColumn(query);
        return ITEM_COLUMNS + ", " + (column == null ? "i.position" : column.column());
    }

    private static final String FROM_ITEMS = """

            FROM batch_items i
            JOIN lookups l ON l.hash = i.hash
            LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
            LEFT JOIN batch_changes c ON c.batch_id = i.batch_id AND c.hash = i.hash
            WHERE i.batch_id = ?""";

    /** Counting by the verdict and text filters needs no join: they read the item's own keys (see {@link ItemKeys}). */
    private static final String COUNT_FROM = " FROM batch_items i WHERE i.batch_id = ?";

    /**
     * What a count of the query's items reads: the items alone, or with the answers and changes when a
     * filter (the answer fields', the gap, the change filter) or the sort's column reads them.
     */
    private static String countFrom(ItemQuery query, SortColumn column) {
        boolean joins = query.change() != null || query.filters().filters() || (column != null && column.joins());
        return joins ? FROM_ITEMS : COUNT_FROM;
    }

    /**
     * The filters: the verdict and text ones on the item's own row only (its verdict and detections keys, its
     * hash, its line and its answer's text), the change filter on the batch's changes, the others (see
     * {@link #filters}) on the answer's columns.
     */
    private static String where(String batchId, ItemQuery query, List<Object> arguments) {
        arguments.add(batchId);
        StringBuilder sql = new StringBuilder();
        if (query.verdict() != null) {
            sql.append(switch (query.verdict()) {
                // The verdict key says malicious when one engine flags the file (see ItemKeys): under a
                // policy that asks for more, the detections key splits those between malicious and suspicious.
                case MALICIOUS -> query.policy().maliciousMinEngines() == 1 ? " AND i.verdict = " + ItemKeys.MALICIOUS
                        : " AND i.verdict = " + ItemKeys.MALICIOUS + " AND i.detections >= "
                                + query.policy().maliciousMinEngines();
                case SUSPICIOUS -> query.policy().maliciousMinEngines() == 1 ? " AND i.verdict = " + ItemKeys.SUSPICIOUS
                        : " AND ((i.verdict = " + ItemKeys.MALICIOUS + " AND i.detections < "
                                + query.policy().maliciousMinEngines() + ") OR i.verdict = " + ItemKeys.SUSPICIOUS + ")";
                case CLEAN -> " AND i.verdict = " + ItemKeys.CLEAN;
                case NOT_FOUND -> " AND i.verdict = " + ItemKeys.NOT_FOUND;
                case ERROR -> " AND i.verdict = " + ItemKeys.ERROR;
                case PENDING -> " AND i.verdict = " + ItemKeys.PENDING;
            });
        }
        if (ItemQuery.ANY_CHANGE.equals(query.change())) {
            sql.append(" AND c.kinds IS NOT NULL");
        } else if (query.change() != null) {
            sql.append(" AND c.kinds LIKE ?");
            arguments.add("%," + query.change() + ",%");
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
        filters(query, sql, arguments);
        return sql.toString();
    }

    /** The filters beyond verdict and text (see {@link ItemQuery.Filters}). */
    private static void filters(ItemQuery query, StringBuilder sql, List<Object> arguments) {
        ItemQuery.Filters filters = query.filters();
        if (filters.minDetections() != null) {
            sql.append(" AND l.status = 'done' AND f.malicious >= ?");
            arguments.add(filters.minDetections());
        }
        if (filters.gap()) {
            sql.append(" AND l.status = 'done' AND ").append(query.engines().isEmpty()
                    ? query.policy().maliciousSql() : gapSql(query.engines(), query.policy()));
            for (String engine : query.engines()) {
                arguments.add(enginePattern(engine));
            }
        }
        equalsIgnoringCase(sql, arguments, "f.threat_family", filters.family());
        equalsIgnoringCase(sql, arguments, "f.threat_category", filters.category());
        equalsIgnoringCase(sql, arguments, "f.file_type", filters.fileType());
        equalsIgnoringCase(sql, arguments, "f.signer", filters.signer());
        if (filters.yaraRule() != null) {
            // The side table's primary key (sha256, rule) answers it for each file.
            sql.append(" AND l.status = 'done' AND EXISTS (SELECT 1 FROM file_yara_rules y"
                    + " WHERE y.sha256 = f.sha256 AND y.rule = ?)");
            arguments.add(filters.yaraRule());
        }
        if (filters.firstSeenYear() != null) {
            sql.append(" AND l.status = 'done' AND f.first_seen_year = ?");
            arguments.add(filters.firstSeenYear());
        }
    }

    private static void equalsIgnoringCase(StringBuilder sql, List<Object> arguments, String column, String value) {
        if (value != null) {
            sql.append(" AND l.status = 'done' AND LOWER(").append(column).append(") = ?");
            arguments.add(value.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /**
     * SQL true for a found file that counts as malicious and that none of {@code engines} (one {@code ?}
     * each, bound to {@link #enginePattern}) flags: the engines that flagged each file are kept with it in
     * {@code files.flagged_engines}, so this reads no other row.
     */
    private static String gapSql(List<String> engines, VerdictPolicy policy) {
        return "(" + policy.maliciousSql() + " AND (f.flagged_engines IS NULL OR NOT ("
                + String.join(" OR ", Collections.nCopies(engines.size(), "LOWER(f.flagged_engines) LIKE ? ESCAPE '\\'"))
                + ")))";
    }

    /** The LIKE pattern that finds an engine in {@code files.flagged_engines}, ignoring case. */
    static String enginePattern(String engine) {
        String name = engine.toLowerCase(java.util.Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%")
                .replace("_", "\\_");
        return "%" + AnswerFields.ENGINE_START + name + AnswerFields.ENGINE_RESULT + "%";
    }

    private String gapSql(List<String> engines) {
        return gapSql(engines, policy);
    }

    /**
     * A column of batch_items a sort orders by (before upload order), whether it may be empty (null), and
     * whether it is distinct within a batch (then upload order never decides).
     */
    private record SortColumn(String column, boolean mayBeEmpty, boolean unique) {
        SortColumn(String column, boolean mayBeEmpty) {
            this(column, mayBeEmpty, false);
        }

        /** True when it reads the answer's columns (a sort by an answer field that is no item key). */
        boolean joins() {
            return column.startsWith("f.") || column.startsWith("LOWER(f.");
        }
    }

    /**
     * The column each sort orders by, from the keys each item carries (see {@link ItemKeys}); null for upload
     * order itself. Each has an index (batch_id, column, position), but for two cases: the verdict under a
     * policy that asks more than one engine (a CASE over the verdict and detections keys: exact, not indexed),
     * and the sorts by answer fields that are no item keys (last analysis, size, times submitted, family,
     * category, signer), which read the answer's columns through the join and sort the matching items.
     */
    private static SortColumn sortColumn(ItemQuery query) {
        return switch (query.sort()) {
            case POSITION -> null;
            case HASH -> new SortColumn("i.hash", false, true);
            case TYPE -> new SortColumn("i.hash_type", false); // MD5 < SHA1 < SHA256: the order of their lengths
            case VERDICT -> query.policy().maliciousMinEngines() == 1 ? new SortColumn("i.verdict", false)
                    : new SortColumn("CASE WHEN i.verdict = " + ItemKeys.MALICIOUS + " AND i.detections < "
                            + query.policy().maliciousMinEngines() + " THEN " + ItemKeys.SUSPICIOUS
                            + " ELSE i.verdict END", false);
            case DETECTIONS -> new SortColumn("i.detections", true);
            case LABEL -> new SortColumn("i.label_key", true);
            case NAME -> new SortColumn("i.name_key", true);
            case FILE_TYPE -> new SortColumn("i.file_type_key", true);
            case FIRST_SEEN -> new SortColumn("i.first_seen", true);
            case LAST_ANALYSIS -> new SortColumn("f.last_analysis", true);
            case SIZE -> new SortColumn("f.file_size", true);
            case TIMES_SUBMITTED -> new SortColumn("f.times_submitted", true);
            case FAMILY -> new SortColumn("LOWER(f.threat_family)", true);
            case CATEGORY -> new SortColumn("LOWER(f.threat_category)", true);
            case SIGNER -> new SortColumn("LOWER(f.signer)", true);
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
                try (PreparedStatement changes = c.prepareStatement("DELETE FROM batch_changes WHERE batch_id = ?")) {
                    changes.setString(1, id);
                    changes.executeUpdate();
                }
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
