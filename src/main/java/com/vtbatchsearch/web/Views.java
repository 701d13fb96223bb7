package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

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
