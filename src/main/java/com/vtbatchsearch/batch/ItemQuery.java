package com.vtbatchsearch.batch;

import java.util.List;
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
        Filters filters, VerdictPolicy policy, String change) {
    public static final int DEFAULT_PAGE_SIZE = 100;
    /** Most engines a report may choose ({@code engines=...}, MY_ENGINES). */
    public static final int MAX_ENGINES = 20;
    /** What an engine name may look like: VirusTotal's are such as {@code ESET-NOD32}, {@code Trellix (HX)}. */
    public static final java.util.regex.Pattern ENGINE_NAME =
            java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,49}");

    public ItemQuery {
        filters = filters == null ? Filters.NONE : filters;
        policy = policy == null ? VerdictPolicy.DEFAULT : policy;
    }

    public ItemQuery(Verdict verdict, String text, Sort sort, boolean descending, int offset, int limit) {
        this(verdict, text, sort, descending, offset, limit, Filters.NONE, VerdictPolicy.DEFAULT, null);
    }

    /**
     * The filters beyond verdict and text; each null (or false) when not asked for.
     *
     * @param minDetections  at least this many engines say malicious
     * @param gap            counts as malicious, and none of the chosen engines flags it
     * @param engines        the engines whose results are shown and make the gap; null: the policy's (MY_ENGINES)
     * @param family         the answer's family (ignoring case)
     * @param category       the answer's threat category (ignoring case)
     * @param yaraRule       a matching crowdsourced YARA rule's name (exactly)
     * @param fileType       the file type (ignoring case)
     * @param signer         the signer (ignoring case)
     * @param firstSeenYear  UTC year of the first submission
     */
    public record Filters(Integer minDetections, boolean gap, List<String> engines, String family, String category,
            String yaraRule, String fileType, String signer, Integer firstSeenYear) {
        public static final Filters NONE = new Filters(null, false, null, null, null, null, null, null, null);

        // Bean-style accessors for JSP EL.

        public Integer getMinDetections() {
            return minDetections;
        }

        public boolean isGap() {
            return gap;
        }

        public List<String> getEngines() {
            return engines;
        }

        public String getFamily() {
            return family;
        }

        public String getCategory() {
            return category;
        }

        public String getYaraRule() {
            return yaraRule;
        }

        public String getFileType() {
            return fileType;
        }

        public String getSigner() {
            return signer;
        }

        public Integer getFirstSeenYear() {
            return firstSeenYear;
        }

        /** True when any of them filters (engines alone only choose columns). */
        public boolean filters() {
            return minDetections != null || gap || family != null || category != null || yaraRule != null
                    || fileType != null || signer != null || firstSeenYear != null;
        }
    }

    /** This query under a deployment's verdict policy (MALICIOUS_MIN_ENGINES, MY_ENGINES). */
    public ItemQuery withPolicy(VerdictPolicy policy) {
        return new ItemQuery(verdict, text, sort, descending, offset, limit, filters, policy, change);
    }

    /** The engines chosen for this report: {@code engines=...}, else MY_ENGINES; empty when neither. */
    public List<String> engines() {
        return filters.engines() != null ? filters.engines() : policy.myEngines();
    }

    /** True when the shared counts answer how many items match: no text and no filter beyond the verdict. */
    public boolean countedByVerdict() {
        return text == null && change == null && !filters.filters();
    }
    public static final int MAX_PAGE_SIZE = 1000;
    public static final int MAX_TEXT_LENGTH = 200;
    /**
     * The request parameters that select rows ({@link #fromParameters} reads them), in the order a download's
     * name and a block list's comments name them; sort and page are not among them.
     */
    public static final List<String> FILTER_PARAMETERS = List.of("verdict", "minDetections", "gap", "engines",
            "family", "category", "yaraRule", "fileType", "signer", "firstSeenYear", "changed", "change", "q");

    /** All items in upload order. */
    public static final ItemQuery ALL = new ItemQuery(null, null, Sort.POSITION, false, 0, 0);
    /** {@link #change()} for items changed in any way. */
    public static final String ANY_CHANGE = "any";

    /** Without a change filter. */
    public ItemQuery(Verdict verdict, String text, Sort sort, boolean descending, int offset, int limit,
            Filters filters, VerdictPolicy policy) {
        this(verdict, text, sort, descending, offset, limit, filters, policy, null);
    }

    /** Only a change filter beyond verdict and text. */
    public ItemQuery(Verdict verdict, String text, Sort sort, boolean descending, int offset, int limit,
            String change) {
        this(verdict, text, sort, descending, offset, limit, Filters.NONE, VerdictPolicy.DEFAULT, change);
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
        LABEL("label"), NAME("name"), FILE_TYPE("fileType"), FIRST_SEEN("firstSeen"), LAST_ANALYSIS("lastAnalysis"),
        SIZE("size"), TIMES_SUBMITTED("timesSubmitted"), FAMILY("family"), CATEGORY("category"), SIGNER("signer");

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

    public Filters getFilters() {
        return filters;
    }

    /** The engines chosen, comma-separated, for the page's input. */
    public String getEnginesText() {
        return String.join(",", engines());
    }

    /** The engines asked for by {@code engines=...}, comma-separated; null when the policy's apply. */
    public String getEnginesParameter() {
        return filters.engines() == null ? null : String.join(",", filters.engines());
    }

    /** The engines chosen, for the page's columns. */
    public List<String> getEngines() {
        return engines();
    }

    /** The query string of this query's filters (not its sort or page), for links that keep them; escaped. */
    public String getFilterQuery() {
        StringBuilder q = new StringBuilder();
        add(q, "verdict", verdict == null ? null : verdict.key());
        add(q, "q", text);
        add(q, "minDetections", filters.minDetections());
        add(q, "gap", filters.gap() ? "true" : null);
        add(q, "engines", filters.engines() == null ? null : String.join(",", filters.engines()));
        add(q, "family", filters.family());
        add(q, "category", filters.category());
        add(q, "yaraRule", filters.yaraRule());
        add(q, "fileType", filters.fileType());
        add(q, "signer", filters.signer());
        add(q, "firstSeenYear", filters.firstSeenYear());
        add(q, "change", change);
        return q.toString();
    }

    private static void add(StringBuilder q, String name, Object value) {
        if (value != null) {
            q.append(q.length() == 0 ? "" : "&").append(name).append('=')
                    .append(java.net.URLEncoder.encode(value.toString(), java.nio.charset.StandardCharsets.UTF_8));
        }
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
                    "sort must be one of position, hash, type, verdict, detections, label, name, fileType, firstSeen,"
                    + " lastAnalysis, size, timesSubmitted, family, category, signer"));
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
        return new ItemQuery(verdict, text, sort, descending, offset, limit, filters(parameters), null, change(parameters));
    }

    /**
     * Reads {@code minDetections}, {@code gap}, {@code engines}, {@code family}, {@code category},
     * {@code yaraRule}, {@code fileType}, {@code signer} and {@code firstSeenYear}.
     *
     * @throws IllegalArgumentException naming the parameter whose value is not understood
     */
    static Filters filters(Map<String, String[]> parameters) {
        String min = first(parameters, "minDetections");
        Integer minDetections = min == null || min.isEmpty() ? null : number(min, "minDetections", 0, 1000, 0);
        String gapValue = first(parameters, "gap");
        if (gapValue != null && !gapValue.isEmpty() && !gapValue.equals("true") && !gapValue.equals("false")) {
            throw new IllegalArgumentException("gap must be true or false");
        }
        List<String> engines = engineList(first(parameters, "engines"), "engines");
        String year = first(parameters, "firstSeenYear");
        Integer firstSeenYear = year == null || year.isEmpty() ? null : number(year, "firstSeenYear", 1970, 9999, 0);
        return new Filters(minDetections, "true".equals(gapValue), engines, value(parameters, "family"),
                value(parameters, "category"), value(parameters, "yaraRule"), value(parameters, "fileType"),
                value(parameters, "signer"), firstSeenYear);
    }

    /**
     * A comma-separated list of engine names (MY_ENGINES, {@code engines=...}): each trimmed, at most
     * {@link #MAX_ENGINES}, each as {@link #ENGINE_NAME} says; null when absent, empty when blank.
     *
     * @throws IllegalArgumentException naming {@code name}
     */
    public static List<String> engineList(String value, String name) {
        if (value == null) {
            return null;
        }
        List<String> engines = new java.util.ArrayList<>();
        for (String part : value.split(",")) {
            String engine = part.strip();
            if (engine.isEmpty()) {
                continue;
            }
            if (!ENGINE_NAME.matcher(engine).matches()) {
                throw new IllegalArgumentException(name + " must be engine names separated by commas (letters, digits,"
                        + " space . _ ( ) + -, at most 50 characters each)");
            }
            if (engines.stream().noneMatch(e -> e.equalsIgnoreCase(engine))) {
                engines.add(engine);
            }
        }
        if (engines.size() > MAX_ENGINES) {
            throw new IllegalArgumentException(name + " must name at most " + MAX_ENGINES + " engines");
        }
        return List.copyOf(engines);
    }

    private static String value(Map<String, String[]> parameters, String name) {
        String value = first(parameters, name);
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException(name + " must be at most " + MAX_TEXT_LENGTH + " characters");
        }
        return value.strip();
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
