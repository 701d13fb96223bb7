package com.vtbatchsearch.web;

/** Reads the one id segment of a path such as {@code /report/{id}}. */
final class PathIds {
    private PathIds() {
    }

    /** The segment after the servlet path, or null when there is none or more than one. */
    static String single(String pathInfo) {
        if (pathInfo == null || pathInfo.length() < 2 || pathInfo.indexOf('/', 1) >= 0) {
            return null;
        }
        return pathInfo.substring(1);
    }

    /** The non-empty segments after the servlet path: {@code /a/b} gives {@code [a, b]}. */
    static String[] segments(String pathInfo) {
        if (pathInfo == null) {
            return new String[0];
        }
        return java.util.Arrays.stream(pathInfo.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }
}
