package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ItemQueryTest {
    private static Map<String, String[]> params(String... pairs) {
        Map<String, String[]> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], new String[] {pairs[i + 1]});
        }
        return map;
    }

    @Test
    void withoutParametersEveryItemInUploadOrder() {
        ItemQuery query = ItemQuery.fromParameters(params(), false);
        assertEquals(ItemQuery.ALL, query);
        assertFalse(query.isPaged());
    }

    @Test
    void offsetOrLimitAsksForAPageOf100ByDefault() {
        ItemQuery query = ItemQuery.fromParameters(params("offset", "200"), false);
        assertTrue(query.isPaged());
        assertEquals(200, query.offset());
        assertEquals(100, query.limit());
        assertEquals(100, ItemQuery.fromParameters(params(), true).limit(), "pages always page");
        assertEquals(1000, ItemQuery.fromParameters(params("limit", "1000"), false).limit());
    }

    @Test
    void readsVerdictTextSortAndDirection() {
        ItemQuery query = ItemQuery.fromParameters(params("verdict", "not_found", "q", "  Emotet ", "sort", "fileType",
                "dir", "desc"), false);
        assertEquals(ItemQuery.Verdict.NOT_FOUND, query.verdict());
        assertEquals("Emotet", query.text());
        assertEquals(ItemQuery.Sort.FILE_TYPE, query.sort());
        assertTrue(query.descending());
        assertNull(ItemQuery.fromParameters(params("verdict", "all", "q", " "), false).verdict());
        assertNull(ItemQuery.fromParameters(params("q", " "), false).text());
    }

    @Test
    void rejectsValuesItDoesNotKnowNamingTheParameter() {
        for (String[] bad : new String[][] {{"verdict", "evil"}, {"sort", "raw_json; DROP TABLE files"},
            {"dir", "sideways"}, {"offset", "-1"}, {"limit", "0"}, {"limit", "1001"}, {"limit", "ten"},
            {"q", "x".repeat(201)}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ItemQuery.fromParameters(params(bad[0], bad[1]), false), bad[0]);
            assertTrue(e.getMessage().startsWith(bad[0]), e.getMessage());
        }
    }

    @Test
    void readsTheAnswerFieldFiltersAndWritesThemBackForLinks() {
        ItemQuery query = ItemQuery.fromParameters(params("minDetections", "5", "gap", "true", "engines",
                " Microsoft, ESET-NOD32 ,microsoft", "family", " emotet ", "category", "trojan", "yaraRule",
                "SUSP_X", "fileType", "Win32 EXE", "signer", "Microsoft Windows", "firstSeenYear", "2019"), false);
        ItemQuery.Filters f = query.filters();
        assertEquals(5, f.minDetections());
        assertTrue(f.gap());
        assertEquals(java.util.List.of("Microsoft", "ESET-NOD32"), f.engines(), "trimmed, each once");
        assertEquals("emotet", f.family());
        assertEquals(2019, f.firstSeenYear());
        String[] pairs = java.util.Arrays.stream(query.getFilterQuery().split("[&=]"))
                .map(p -> java.net.URLDecoder.decode(p, java.nio.charset.StandardCharsets.UTF_8)).toArray(String[]::new);
        assertEquals(query, ItemQuery.fromParameters(params(pairs), false), "the links keep every filter");
        assertEquals(ItemQuery.Filters.NONE, ItemQuery.fromParameters(params("gap", "false", "family", " "), false)
                .filters());
        assertTrue(ItemQuery.fromParameters(params(), false).countedByVerdict());
        assertFalse(ItemQuery.fromParameters(params("yaraRule", "x"), false).countedByVerdict());
    }

    @Test
    void rejectsAnswerFieldFiltersItDoesNotKnowNamingTheParameter() {
        for (String[] bad : new String[][] {{"minDetections", "abc"}, {"minDetections", "1001"}, {"gap", "yes"},
            {"engines", "Microsoft;DROP TABLE files"}, {"engines", "<b>"}, {"firstSeenYear", "19"},
            {"family", "x".repeat(201)}, {"yaraRule", "y".repeat(201)}, {"sort", "raw_gzip"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ItemQuery.fromParameters(params(bad[0], bad[1]), false), bad[0]);
            assertTrue(e.getMessage().startsWith(bad[0]), e.getMessage());
        }
    }

    @Test
    void readsTheChangeFilterAndRejectsWhatItDoesNotKnowNamingTheParameter() {
        assertNull(ItemQuery.fromParameters(params(), false).change());
        assertNull(ItemQuery.fromParameters(params("changed", "false"), false).change());
        assertEquals(ItemQuery.ANY_CHANGE, ItemQuery.fromParameters(params("changed", "true"), false).change());
        assertEquals(ItemQuery.ANY_CHANGE, ItemQuery.fromParameters(params("change", "any"), false).change());
        assertEquals("label_changed", ItemQuery.fromParameters(params("change", "label_changed"), false).change());
        assertEquals("newly_known", ItemQuery.fromParameters(params("changed", "true", "change", "newly_known"), false)
                .getChangeKey());
        IllegalArgumentException changed = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ItemQuery.fromParameters(params("changed", "yes"), false));
        assertTrue(changed.getMessage().startsWith("changed "), changed.getMessage());
        IllegalArgumentException change = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ItemQuery.fromParameters(params("change", "worse"), false));
        assertTrue(change.getMessage().startsWith("change must be one of any, newly_malicious"), change.getMessage());
    }

    @Test
    void everyFilterParameterSelectsRowsAndNoOtherParameterDoes() {
        Map<String, String> sample = Map.ofEntries(Map.entry("verdict", "malicious"), Map.entry("minDetections", "1"),
                Map.entry("gap", "true"), Map.entry("engines", "Microsoft"), Map.entry("family", "emotet"),
                Map.entry("category", "trojan"), Map.entry("yaraRule", "r"), Map.entry("fileType", "Win32 EXE"),
                Map.entry("signer", "s"), Map.entry("firstSeenYear", "2019"), Map.entry("changed", "true"),
                Map.entry("change", "label_changed"), Map.entry("q", "x"));
        assertEquals(new java.util.TreeSet<>(sample.keySet()), new java.util.TreeSet<>(ItemQuery.FILTER_PARAMETERS),
                "a filter parameter without a sample value here");
        ItemQuery none = ItemQuery.fromParameters(params(), false);
        for (String name : ItemQuery.FILTER_PARAMETERS) {
            ItemQuery one = ItemQuery.fromParameters(params(name, sample.get(name)), false);
            assertNotEquals(none.withPolicy(null), one.withPolicy(null), name + " selects nothing");
            assertEquals(none.sort(), one.sort(), name);
            assertEquals(none.offset(), one.offset(), name);
            assertEquals(none.limit(), one.limit(), name);
        }
        // Sort, direction and page change the order or the slice, never which rows match.
        for (String[] other : new String[][] {{"sort", "detections"}, {"dir", "desc"}, {"offset", "5"}, {"limit", "10"}}) {
            ItemQuery q = ItemQuery.fromParameters(params(other), false);
            assertEquals(none.verdict(), q.verdict());
            assertEquals(none.text(), q.text());
            assertEquals(none.filters(), q.filters());
            assertEquals(none.change(), q.change());
        }
    }
}
