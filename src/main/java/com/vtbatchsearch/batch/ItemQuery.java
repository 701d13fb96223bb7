package com.vtbatchsearch.batch;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which items of a batch a report or an export asks for: a verdict filter, a text filter, a sort, and
 * optionally a page. Values come from request parameters and are checked here, so the repository only
 * ever sees known columns and bounded numbers.
 *
 * @param verdict one of {@link Verdict}, or null for all
 * @param text    case-insensitive substring of hash, sha256, label, name, file type or the line the hash came
 *                from; null for none
 * @param sort    the column to sort by; upload order when {@link Sort#POSITION}
 * @param limit   most items to return; 0 for all (no paging)
 * @param change  items the batch's last re-check changed: {@link #ANY_CHANGE} for any kind, or a
 *                {@link ChangeKind#key()}; null for all items
 */
public record ItemQuery(Verdict verdict, String text, Sort sort, boolean descending, int offset, int limit,
        String change) {
    public static final int DEFAULT_PAGE_SIZE = 100;
    public static final int MAX_PAGE_SIZE = 1000;
    public static final int MAX_TEXT_LENGTH = 200;

    /** All items in upload order. */
    public static final ItemQuery ALL = new ItemQuery(null, null, Sort.POSITION, false, 0, 0);
    /** {@link #change()} for items changed in any way. */
    public static final String ANY_CHANGE = "any";

    /** Without a change filter. */
    public ItemQuery(Verdict verdict, String text, Sort sort, boolean descending, int offset, int limit) {
        this(verdict, text, sort, descending, offset, limit, null);
    }

    /** The verdict categories of an item; an item is in exactly one. */
    public enum Verdict {
        MALICIOUS, SUSPICIOUS, CLEAN, NOT_FOUND, ERROR, PENDING;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<Verdict> parse(String value) {
            for (Verdict v : values()) {
                if (v.key().equals(value)) {
                    return Optional.of(v);
                }
            }
            return Optional.empty();
        }
    }

    /** The columns an item list sorts by, with the parameter value that names each. */
    public enum Sort {
        POSITION("position"), HASH("hash"), TYPE("type"), VERDICT("verdict"), DETECTIONS("detections"),
        LABEL("label"), NAME("name"), FILE_TYPE("fileType"), FIRST_SEEN("firstSeen");

        private final String key;

        Sort(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        static Optional<Sort> parse(String value) {
            for (Sort s : values()) {
                if (s.key.equals(value)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    // Bean-style accessors for JSP EL, which does not read record components.

    public String getVerdictKey() {
        return verdict == null ? "" : verdict.key();
    }

    public String getText() {
        return text;
    }

    public String getSortKey() {
        return sort.key();
    }

    public boolean isDescending() {
        return descending;
    }

    public int getOffset() {
        return offset;
    }

    public int getLimit() {
        return limit;
    }

    /** The change filter's value: {@code any}, a kind, or empty for none. */
    public String getChangeKey() {
        return change == null ? "" : change;
    }

    public boolean isPaged() {
        return limit > 0;
    }

    /**
     * Reads {@code verdict}, {@code q}, {@code sort}, {@code dir}, {@code offset}, {@code limit}, {@code changed}
     * ({@code true} for the items the last re-check changed) and {@code change} (one kind of change). Paging
     * applies when {@code offset} or {@code limit} is given (limit defaults to 100, at most 1000) or when
     * {@code pagedByDefault}; without it every matching item is returned.
     *
     * @throws IllegalArgumentException naming the parameter whose value is not understood
     */
    public static ItemQuery fromParameters(Map<String, String[]> parameters, boolean pagedByDefault) {
        Verdict verdict = null;
        String v = first(parameters, "verdict");
        if (v != null && !v.isEmpty() && !v.equals("all")) {
            verdict = Verdict.parse(v).orElseThrow(() -> new IllegalArgumentException(
                    "verdict must be one of malicious, suspicious, clean, not_found, error, pending, all"));
        }
        String text = first(parameters, "q");
        text = text == null || text.isBlank() ? null : text.strip();
        if (text != null && text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("q must be at most " + MAX_TEXT_LENGTH + " characters");
        }
        Sort sort = Sort.POSITION;
        String s = first(parameters, "sort");
        if (s != null && !s.isEmpty()) {
            sort = Sort.parse(s).orElseThrow(() -> new IllegalArgumentException(
                    "sort must be one of position, hash, type, verdict, detections, label, name, fileType, firstSeen"));
        }
        String dir = first(parameters, "dir");
        if (dir != null && !dir.isEmpty() && !dir.equals("asc") && !dir.equals("desc")) {
            throw new IllegalArgumentException("dir must be asc or desc");
        }
        boolean descending = "desc".equals(dir);
        String offsetValue = first(parameters, "offset");
        String limitValue = first(parameters, "limit");
        boolean paged = pagedByDefault || offsetValue != null || limitValue != null;
        int offset = paged ? number(offsetValue, "offset", 0, Integer.MAX_VALUE, 0) : 0;
        int limit = paged ? number(limitValue, "limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE) : 0;
        return new ItemQuery(verdict, text, sort, descending, offset, limit, change(parameters));
    }

    /** {@code changed=true|false} and {@code change=<kind>}: null, {@link #ANY_CHANGE} or a kind's key. */
    private static String change(Map<String, String[]> parameters) {
        String changed = first(parameters, "changed");
        if (changed != null && !changed.isEmpty() && !changed.equals("true") && !changed.equals("false")) {
            throw new IllegalArgumentException("changed must be true or false");
        }
        String kind = first(parameters, "change");
        if (kind != null && !kind.isEmpty() && !kind.equals(ANY_CHANGE)) {
            return ChangeKind.parse(kind).map(ChangeKind::key).orElseThrow(() -> new IllegalArgumentException(
                    "change must be one of any, " + String.join(", ",
                            java.util.Arrays.stream(ChangeKind.values()).map(ChangeKind::key).toList())));
        }
        return "true".equals(changed) || ANY_CHANGE.equals(kind) ? ANY_CHANGE : null;
    }

    private static String first(Map<String, String[]> parameters, String name) {
        String[] values = parameters.get(name);
        return values == null || values.length == 0 ? null : values[0];
    }

    private static int number(String value, String name, int min, int max, int otherwise) {
        if (value == null || value.isEmpty()) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below, naming the parameter
        }
        throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max);
    }
}
