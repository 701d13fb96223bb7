package com.vtbatchsearch.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** {@code GET /}: the upload form, with the limits stated. */
public final class HomeServlet extends HttpServlet {
    private final UploadLimits limits;

    public HomeServlet(UploadLimits limits) {
        this.limits = limits;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        request.setAttribute("limits", limits);
        Views.render(request, response, HttpServletResponse.SC_OK, "upload");
    }
}
