package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.Batch;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.batch.UploadRejectedException;
import com.vtbatchsearch.export.ExportFilter;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /report/{uuid}}: a batch's report page with the first page of its items (or the page the
 * query parameters of the JSON API ask for); 404 for an id that is malformed or unknown. The page's
 * script keeps it current from the JSON API.
 */
public final class ReportServlet extends HttpServlet {
    /** Seconds between the page's requests for news while lookups are running. */
    static final int POLL_SECONDS = 3;

    private final BatchService batches;
    private final UploadThrottle throttle;

    public ReportServlet(BatchService batches, UploadThrottle throttle) {
        this.batches = batches;
        this.throttle = throttle;
    }

    /**
     * {@code POST /report/{uuid}/refresh}: looks the batch's stale answers up again, charged to the client's
     * budget of new lookups, then back to the report; over budget, the report again with the reason (429).
     * {@code POST /report/{uuid}/delete}: with {@code confirm=yes} deletes the batch and goes to the
     * upload page; without it (a browser without script did not ask) shows a page that asks.
     */
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String[] path = PathIds.segments(request.getPathInfo());
        if (path.length == 2 && "delete".equals(path[1])) {
            delete(path[0], request, response);
            return;
        }
        if (path.length == 2 && "recheck".equals(path[1])) {
            recheck(path[0], request, response);
            return;
        }
        if (path.length == 2 && "watch".equals(path[1])) {
            watch(path[0], request, response);
            return;
        }
        Optional<Integer> stale = path.length == 2 && "refresh".equals(path[1])
                ? batches.staleLookups(path[0]) : Optional.empty();
        if (stale.isEmpty()) {
            notFound(request, response);
            return;
        }
        try (UploadThrottle.Ticket ticket = throttle.admitRefresh(request.getRemoteAddr())) {
            ticket.spendNewHashes(stale.get());
            batches.refreshStale(path[0]);
            ticket.commit();
        } catch (UploadRejectedException e) {
            UploadThrottle.addRetryAfter(response, e);
            request.setAttribute("error", e.getMessage());
            render(request, response, e.status(), path[0], ItemQuery.fromParameters(Map.of(), true));
            return;
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/report/" + path[0]);
    }

    /**
     * {@code POST /report/{uuid}/recheck}: looks every answer of the batch up again, charged like a refresh;
     * one already running is left as it is. Then back to the report (over budget: the report with the reason).
     */
    private void recheck(String id, HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        Optional<BatchService.RecheckEstimate> estimate = batches.recheckEstimate(id);
        if (estimate.isEmpty()) {
            notFound(request, response);
            return;
        }
        if (estimate.get().running()) {
            batches.finishRecheck(id);
        }
        if (!batches.recheckState(id).map(com.vtbatchsearch.batch.Recheck::isRunning).orElse(false)) {
            try (UploadThrottle.Ticket ticket = throttle.admitRefresh(request.getRemoteAddr())) {
                ticket.spendNewHashes(batches.recheckLookups(id).orElse(0));
                if (batches.recheck(id).map(BatchService.RecheckStarted::started).orElse(false)) {
                    ticket.commit();
                }
            } catch (UploadRejectedException e) {
                UploadThrottle.addRetryAfter(response, e);
                request.setAttribute("error", e.getMessage());
                render(request, response, e.status(), id, ItemQuery.fromParameters(Map.of(), true));
                return;
            }
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/report/" + id);
    }

    /** {@code POST /report/{uuid}/watch} with {@code watch=daily|weekly|off}: sets the batch's watch schedule. */
    private void watch(String id, HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        Optional<com.vtbatchsearch.batch.Recheck.Watch> watch;
        try {
            watch = com.vtbatchsearch.batch.Recheck.Watch.parse(request.getParameter("watch"));
        } catch (IllegalArgumentException e) {
            if (batches.find(id).isEmpty()) {
                notFound(request, response);
                return;
            }
            request.setAttribute("error", e.getMessage());
            render(request, response, HttpServletResponse.SC_BAD_REQUEST, id, ItemQuery.fromParameters(Map.of(), true));
            return;
        }
        if (!batches.watch(id, watch.orElse(null))) {
            notFound(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/report/" + id);
    }

    private void delete(String id, HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        if (!"yes".equals(request.getParameter("confirm"))) {
            Optional<Batch> batch = batches.find(id);
            if (batch.isEmpty()) {
                notFound(request, response);
                return;
            }
            request.setAttribute("batch", batch.get());
            Views.render(request, response, HttpServletResponse.SC_OK, "delete");
            return;
        }
        if (!batches.delete(id)) {
            notFound(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/");
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        ItemQuery query;
        try {
            query = ItemQuery.fromParameters(request.getParameterMap(), true);
            // The page's filters and sort, carried by its links to the block lists, MISP and STIX exports.
            ExportFilter filter = ExportFilter.from(request.getParameterMap());
            request.setAttribute("exportFilters", filter.queryString());
            request.setAttribute("exportFiltered", !filter.isEmpty());
        } catch (IllegalArgumentException e) {
            query = ItemQuery.fromParameters(Map.of(), true);
        }
        render(request, response, HttpServletResponse.SC_OK, PathIds.single(request.getPathInfo()), query);
    }

    private void render(HttpServletRequest request, HttpServletResponse response, int status, String id,
            ItemQuery query) throws ServletException, IOException {
        Optional<BatchService.Report> report = batches.report(id, query);
        if (report.isEmpty()) {
            notFound(request, response);
            return;
        }
        request.setAttribute("report", report.get());
        request.setAttribute("recheckEstimate", batches.recheckEstimate(id).orElse(null));
        request.setAttribute("pollSeconds", POLL_SECONDS);
        Views.render(request, response, status, "report");
    }

    /** 404 for an unknown report; for one still being stored, a page that reloads itself (503, {@code Retry-After}). */
    private void notFound(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String[] path = PathIds.segments(request.getPathInfo());
        Views.renderNotFound(request, response, path.length == 0 ? Optional.empty() : batches.storing(path[0]));
    }
}
