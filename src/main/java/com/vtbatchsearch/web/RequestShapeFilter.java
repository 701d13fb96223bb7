package com.vtbatchsearch.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;

/**
 * Turns away requests whose shape the app never uses before any servlet reads them: a path not spelled
 * as the path the container maps it to ({@code /static/../api/batches}, {@code /api;x/batches},
 * {@code //report/...}: the filters after this one could be asked about one path while the container
 * serves another), and a body on a GET, HEAD or DELETE (which has no meaning there and is a classic way
 * to smuggle a second request past a proxy). Both answer 400, and the connection is closed so nothing
 * left of the body is read as a request.
 */
public final class RequestShapeFilter extends HttpFilter {
    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!RequestPath.isCanonical(request)) {
            response.setHeader("Connection", "close");
            Rejections.send(request, response, HttpServletResponse.SC_BAD_REQUEST,
                    "Ask for a path as it is written: no '.' or '..' segments, ';' parameters, doubled slashes "
                            + "or needlessly encoded characters.");
            return;
        }
        String method = request.getMethod();
        boolean bodiless = "GET".equals(method) || "HEAD".equals(method) || "DELETE".equals(method);
        if (bodiless && hasBody(request)) {
            response.setHeader("Connection", "close");
            Rejections.send(request, response, HttpServletResponse.SC_BAD_REQUEST,
                    "A " + method + " request has no body; send the upload as a POST.");
            return;
        }
        chain.doFilter(request, response);
    }

    private static boolean hasBody(HttpServletRequest request) {
        String encoding = request.getHeader("Transfer-Encoding");
        return request.getContentLengthLong() > 0
                || encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked");
    }
}
