package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first page of a report is read through an index in the order it shows, not by sorting the whole
 * batch: SQLite's plan for it names the index and no temporary B-tree for the ORDER BY. (A sort the
 * plan makes in a temporary B-tree costs time in proportion to the batch.)
 */
class ReportQueryPlanTest {
    private static final String BATCH = "00000000-0000-0000-0000-000000000001";

    @TempDir
    Path dataDir;

    private Database database;

    @BeforeEach
    void open() {
        database = Database.openSqlite(dataDir);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private String plan(Map<String, String[]> parameters) throws Exception {
        List<Object> arguments = new ArrayList<>();
        String sql = BatchRepository.pageSql(BATCH, ItemQuery.fromParameters(parameters, true), arguments);
        StringBuilder plan = new StringBuilder();
        try (Connection c = database.connection();
                PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int n = 0; n < arguments.size(); n++) {
                s.setObject(n + 1, arguments.get(n));
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    plan.append(r.getString("detail")).append('\n');
                }
            }
        }
        return plan.toString();
    }

    @Test
    void theFirstPageInUploadOrderWalksThePrimaryKey() throws Exception {
        for (String direction : new String[] {"asc", "desc"}) {
            String plan = plan(Map.of("dir", new String[] {direction}));
            assertFalse(plan.contains("TEMP B-TREE"), plan);
            assertTrue(plan.contains("SEARCH i USING PRIMARY KEY") || plan.contains("SEARCH i USING INDEX"), plan);
        }
    }

    @Test
    void theFirstPageSortedByHashWalksTheBatchesHashIndex() throws Exception {
        for (String direction : new String[] {"asc", "desc"}) {
            String plan = plan(Map.of("sort", new String[] {"hash"}, "dir", new String[] {direction}));
            assertFalse(plan.contains("TEMP B-TREE"), plan);
            assertTrue(plan.contains("batch_items_batch_hash"), plan);
        }
    }

    /**
     * The filters on what an answer holds read the columns and side table kept when it was stored: a YARA
     * rule is one primary-key search per file in the page's walk, never a scan of the side table, the gap
     * reads the file's row only, and the stored answers are not read at all.
     */
    @Test
    void answerFieldFiltersSearchTheSideTablesByFile() throws Exception {
        String plan = plan(Map.of("yaraRule", new String[] {"malw_eicar"}, "gap", new String[] {"true"},
                "engines", new String[] {"Microsoft,CrowdStrike"}, "family", new String[] {"emotet"},
                "minDetections", new String[] {"5"}));
        assertFalse(plan.contains("TEMP B-TREE"), plan);
        assertFalse(plan.contains("SCAN y"), plan);
        assertTrue(plan.contains("SEARCH y USING") && plan.contains("file_yara_rules"), plan);
        List<Object> arguments = new ArrayList<>();
        assertFalse(BatchRepository.pageSql(BATCH, ItemQuery.fromParameters(Map.of("yaraRule",
                new String[] {"x"}), true), arguments).contains("raw_"), "no stored answer is read");
    }

    /** The sorts by answer fields that are no item keys: they read the answer's columns through the join. */
    private static final java.util.Set<ItemQuery.Sort> JOINED_SORTS = java.util.EnumSet.of(ItemQuery.Sort.LAST_ANALYSIS,
            ItemQuery.Sort.SIZE, ItemQuery.Sort.TIMES_SUBMITTED, ItemQuery.Sort.FAMILY, ItemQuery.Sort.CATEGORY,
            ItemQuery.Sort.SIGNER);

    @Test
    void theFirstPageOfEveryKeyedSortAndVerdictFilterWalksAnIndexWithoutSorting() throws Exception {
        for (ItemQuery.Sort sort : ItemQuery.Sort.values()) {
            if (JOINED_SORTS.contains(sort)) {
                continue;
            }
            for (String direction : new String[] {"asc", "desc"}) {
                String plan = plan(Map.of("sort", new String[] {sort.key()}, "dir", new String[] {direction}));
                assertFalse(plan.contains("TEMP B-TREE"), sort + " " + direction + ": " + plan);
                assertTrue(plan.contains("SEARCH i USING"), sort + " " + direction + ": " + plan);
            }
        }
        for (ItemQuery.Verdict verdict : ItemQuery.Verdict.values()) {
            String plan = plan(Map.of("verdict", new String[] {verdict.key()}));
            assertFalse(plan.contains("TEMP B-TREE"), verdict + ": " + plan);
            assertTrue(plan.contains("batch_items_verdict"), verdict + ": " + plan);
        }
    }
}
