package com.vtbatchsearch.export;

import com.vtbatchsearch.batch.ItemQuery;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The filters of a report as an export names them: in a file name, in the title of a MISP event, in the
 * comments of a block list, in the links of the report page. Read from the request's parameters, which
 * {@link com.vtbatchsearch.batch.ItemQuery} has already checked; the sort and the page are not filters.
 */
public final class ExportFilter {
    /** The parameters that select rows, in the order they are named: the report's filters. */
    public static final List<String> PARAMETERS = ItemQuery.FILTER_PARAMETERS;
    /** The parameters that order the rows; carried by links, not named in file names. */
    public static final List<String> ORDER = List.of("sort", "dir");
    private static final int MAX_NAME_PART = 60;

    private final List<Map.Entry<String, String>> filters;
    private final List<Map.Entry<String, String>> order;

    private ExportFilter(List<Map.Entry<String, String>> filters, List<Map.Entry<String, String>> order) {
        this.filters = filters;
        this.order = order;
    }

    /** The filters among {@code parameters}; empty values and {@code verdict=all} select nothing and are left out. */
    public static ExportFilter from(Map<String, String[]> parameters) {
        List<Map.Entry<String, String>> filters = new ArrayList<>(pick(parameters, PARAMETERS));
        // The engines chosen select rows only through the gap; alone they choose the page's columns.
        if (filters.stream().noneMatch(f -> f.getKey().equals("gap"))) {
            filters.removeIf(f -> f.getKey().equals("engines"));
        }
        return new ExportFilter(List.copyOf(filters), pick(parameters, ORDER));
    }

    private static List<Map.Entry<String, String>> pick(Map<String, String[]> parameters, List<String> names) {
        List<Map.Entry<String, String>> picked = new ArrayList<>();
        for (String name : names) {
            String[] values = parameters.get(name);
            String value = values == null || values.length == 0 ? null : values[0];
            if (value == null || value.isBlank() || name.equals("verdict") && value.equals("all")
                    || name.equals("sort") && value.equals("position") || name.equals("dir") && value.equals("asc")
                    || name.equals("gap") && value.equals("false") || name.equals("changed") && value.equals("false")) {
                continue;
            }
            picked.add(Map.entry(name, value.strip()));
        }
        return List.copyOf(picked);
    }

    public boolean isEmpty() {
        return filters.isEmpty();
    }

    /** For people: {@code verdict=malicious, q=emotet}, or {@code every row} without filters; may hold any text. */
    public String describe() {
        if (filters.isEmpty()) {
            return "every row";
        }
        List<String> parts = new ArrayList<>();
        filters.forEach(f -> parts.add(f.getKey() + "=" + f.getValue()));
        return String.join(", ", parts);
    }

    /** The same filters always give the same key, whatever their order in the request: names ids. */
    public String key() {
        List<String> parts = new ArrayList<>();
        filters.forEach(f -> parts.add(f.getKey() + "=" + f.getValue()));
        return String.join("&", parts);
    }

    /**
     * For a file name: lower-case letters, digits and single hyphens only, at most 60 characters; the
     * verdict by its value alone ({@code malicious}), other filters as name and value ({@code family-emotet}).
     * Empty without filters.
     */
    public String namePart() {
        StringBuilder name = new StringBuilder();
        for (Map.Entry<String, String> f : filters) {
            String piece = f.getKey().equals("verdict") ? f.getValue()
                    : f.getKey().equals("gap") ? "gap" : f.getKey() + "-" + f.getValue();
            name.append('-').append(piece);
        }
        String safe = name.toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-+|-+$", "");
        if (safe.length() > MAX_NAME_PART) {
            safe = safe.substring(0, MAX_NAME_PART).replaceAll("-+$", "");
        }
        return safe;
    }

    /** The filters and the sort as a query string for a link ({@code verdict=malicious&sort=detections}), URL-encoded; empty without. */
    public String queryString() {
        List<String> parts = new ArrayList<>();
        for (List<Map.Entry<String, String>> list : List.of(filters, order)) {
            list.forEach(f -> parts.add(f.getKey() + "=" + URLEncoder.encode(f.getValue(), StandardCharsets.UTF_8)));
        }
        return String.join("&", parts);
    }

    /** The download's name: {@code vt-batch-<first 8 of id>[-<filters>].<extension>}. */
    public String fileName(String batchId, String extension) {
        String part = namePart();
        return "vt-batch-" + batchId.substring(0, Math.min(8, batchId.length())) + (part.isEmpty() ? "" : "-" + part)
                + "." + extension;
    }
}
