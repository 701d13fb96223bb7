package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * How a filter turns a request away: {@code {"error": ...}} JSON under {@code /api/}, the error page
 * everywhere else, each with its status and a message that says what to do.
 */
final class Rejections {
    // Jackson's ObjectMapper is thread-safe once configured; filters have no other use for one.
    private static final ObjectMapper JSON = new ObjectMapper();

    private Rejections() {
    }

    static boolean isApi(HttpServletRequest request) {
        return pathOf(request).startsWith("/api/");
    }

    /** The request's path inside the app as the container maps it (see {@link RequestPath}). */
    static String pathOf(HttpServletRequest request) {
        return RequestPath.of(request);
    }

    static void send(HttpServletRequest request, HttpServletResponse response, int status, String message)
            throws IOException, ServletException {
        if (isApi(request)) {
            Views.jsonError(response, JSON, status, message);
        } else {
            request.setAttribute("message", message);
            Views.render(request, response, status, "error");
        }
    }
}
