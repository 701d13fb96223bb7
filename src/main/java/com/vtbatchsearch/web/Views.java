package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.batch.StagedUploadRepository.Staged;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/** Forwards to the JSP views under WEB-INF and writes JSON answers, the two ways a servlet answers. */
final class Views {
    private Views() {
    }

    static void render(HttpServletRequest request, HttpServletResponse response, int status, String view)
            throws ServletException, IOException {
        response.setStatus(status);
        response.setCharacterEncoding("UTF-8");
        request.getRequestDispatcher("/WEB-INF/views/" + view + ".jsp").forward(request, response);
    }

    static void renderNotFound(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        request.setAttribute("message", "No such report. A report's address is its only key: check the link.");
        render(request, response, HttpServletResponse.SC_NOT_FOUND, "error");
    }

    /** How soon a client asking about a batch being stored is told to ask again. */
    static final int STORING_RETRY_SECONDS = 1;

    /**
     * The answer for a report that does not exist (404), or that exists but is still being stored: 503 with
     * {@code Retry-After} and a page that reloads itself once it is.
     */
    static void renderNotFound(HttpServletRequest request, HttpServletResponse response,
            Optional<Staged> storing)
            throws ServletException, IOException {
        if (storing.isEmpty()) {
            renderNotFound(request, response);
            return;
        }
        response.setHeader("Retry-After", String.valueOf(STORING_RETRY_SECONDS));
        request.setAttribute("storing", storing.get());
        request.setAttribute("retrySeconds", STORING_RETRY_SECONDS);
        render(request, response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "storing");
    }

    /** The JSON answer for a batch that does not exist (404), or is still being stored (503, {@code Retry-After}). */
    static void jsonNoSuchBatch(HttpServletResponse response, ObjectMapper json,
            Optional<Staged> storing) throws IOException {
        if (storing.isEmpty()) {
            jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
            return;
        }
        response.setHeader("Retry-After", String.valueOf(STORING_RETRY_SECONDS));
        json(response, json, HttpServletResponse.SC_SERVICE_UNAVAILABLE, Map.of(
                "error", "This batch is being stored (" + storing.get().unique() + " hashes); ask again in a moment.",
                "storing", true, "unique", storing.get().unique()));
    }

    static void json(HttpServletResponse response, ObjectMapper json, int status, Object body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        json.writeValue(response.getOutputStream(), body);
    }

    static void jsonError(HttpServletResponse response, ObjectMapper json, int status, String message)
            throws IOException {
        json(response, json, status, Map.of("error", message));
    }
}
