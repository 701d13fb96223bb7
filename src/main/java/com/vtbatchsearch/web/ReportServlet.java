package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.BatchService;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/** {@code GET /report/{uuid}}: a batch's report page; 404 for an id that is malformed or unknown. */
public final class ReportServlet extends HttpServlet {
    /** Seconds between refreshes of a report whose lookups are still running. */
    static final int REFRESH_SECONDS = 15;

    private final BatchService batches;

    public ReportServlet(BatchService batches) {
        this.batches = batches;
    }

    /** {@code POST /report/{uuid}/refresh}: looks the batch's stale answers up again, then back to the report. */
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String[] path = PathIds.segments(request.getPathInfo());
        if (path.length != 2 || !"refresh".equals(path[1]) || batches.refreshStale(path[0]).isEmpty()) {
            Views.renderNotFound(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/report/" + path[0]);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        Optional<BatchService.Report> report = batches.report(PathIds.single(request.getPathInfo()));
        if (report.isEmpty()) {
            Views.renderNotFound(request, response);
            return;
        }
        request.setAttribute("report", report.get());
        request.setAttribute("refreshSeconds", REFRESH_SECONDS);
        Views.render(request, response, HttpServletResponse.SC_OK, "report");
    }
}
