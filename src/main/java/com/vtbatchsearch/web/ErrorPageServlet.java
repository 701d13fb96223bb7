package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The container's error page for every status and exception ({@code web.xml} sends them all here):
 * {@code {"error": ...}} for a request under {@code /api/}, the error page otherwise, each with a message
 * of the app's own. The container's own error page would name the server and its version, and an
 * exception's message may name a table or a host, so neither is ever shown. Reached only as an error
 * dispatch; the container has already logged the exception.
 */
public final class ErrorPageServlet extends HttpServlet {
    private final ObjectMapper json;

    public ErrorPageServlet(ObjectMapper json) {
        this.json = json;
    }

    /** Every method: the error dispatch keeps the method of the request that failed, PUT or TRACE included. */
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        if (response.isCommitted()) {
            // An answer already begun (a streamed export) cannot turn into an error any more; writing
            // nothing lets the container cut the connection, so the client sees it broken, not complete.
            return;
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = request.getDispatcherType() != DispatcherType.ERROR ? HttpServletResponse.SC_NOT_FOUND
                : code instanceof Integer given && given >= 400 ? given : HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        String failed = (String) request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        String context = request.getServletContext().getContextPath();
        boolean api = failed != null && (failed.startsWith(context + "/api/") || failed.equals(context + "/api"));
        String message = messageFor(status, api);
        if (api) {
            Views.jsonError(response, json, status, message);
        } else {
            request.setAttribute("message", message);
            Views.render(request, response, status, "error");
        }
    }

    static String messageFor(int status, boolean api) {
        return switch (status) {
            case HttpServletResponse.SC_BAD_REQUEST -> "The request is malformed.";
            case HttpServletResponse.SC_NOT_FOUND -> api ? "No such resource: the API is /api/batches."
                    : "This page does not exist.";
            case HttpServletResponse.SC_METHOD_NOT_ALLOWED -> "This method is not allowed here.";
            case HttpServletResponse.SC_REQUEST_TIMEOUT -> "The request did not arrive in time.";
            case HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE -> "The request is too large.";
            default -> status >= 500 ? "Something went wrong on the server. Try again later."
                    : "The request was refused (" + status + ").";
        };
    }
}
