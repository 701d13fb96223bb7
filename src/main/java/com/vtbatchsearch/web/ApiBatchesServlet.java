package com.vtbatchsearch.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.UploadRejectedException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The JSON API: {@code POST /api/batches} (multipart field {@code file}/{@code text}, or a
 * {@code text/plain} body) creates a batch; {@code GET /api/batches/{id}} reads it back. Every error is
 * {@code {"error": "..."}} with its status.
 */
public final class ApiBatchesServlet extends HttpServlet {
    private final UploadParser parser;
    private final BatchService batches;
    private final ObjectMapper json;
    private final UploadThrottle throttle;

    public ApiBatchesServlet(UploadLimits limits, BatchService batches, ObjectMapper json, UploadThrottle throttle) {
        this.parser = new UploadParser(limits.maxUploadBytes(), limits.getMaxHashesPerBatch());
        this.batches = batches;
        this.json = json;
        this.throttle = throttle;
    }

    /** The answer to a successful POST. */
    public record Created(String id, String reportUrl, long found, int unique) {
    }

    /** A batch as GET answers it. */
    public record BatchJson(String id, String createdAt, String status, BatchCounts counts, List<BatchItem> items) {
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (PathIds.single(request.getPathInfo()) != null) {
            Views.jsonError(response, json, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "POST to /api/batches");
            return;
        }
        boolean multipart = UploadParser.isMultipart(request);
        if (!multipart && !UploadParser.isPlainText(request)) {
            Views.jsonError(response, json, HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE,
                    "Send multipart/form-data with a 'file' (or 'text') field, or a text/plain body.");
            return;
        }
        BatchService.Submitted batch;
        try (UploadThrottle.Ticket ticket = throttle.admit(request.getRemoteAddr())) {
            ExtractedHashes hashes = multipart ? parser.parseMultipart(request) : parser.parseBody(request);
            ticket.spendNewHashes(batches.lookupsNeeded(hashes));
            batch = batches.submit(hashes);
            ticket.commit();
        } catch (UploadRejectedException e) {
            UploadThrottle.addRetryAfter(response, e);
            Views.jsonError(response, json, e.status(), e.getMessage());
            return;
        }
        String context = request.getContextPath();
        response.setHeader("Location", context + "/api/batches/" + batch.id());
        Views.json(response, json, HttpServletResponse.SC_CREATED,
                new Created(batch.id(), context + "/report/" + batch.id(), batch.found(), batch.unique()));
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<BatchService.Report> report = batches.report(PathIds.single(request.getPathInfo()));
        if (report.isEmpty()) {
            Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
            return;
        }
        BatchService.Report r = report.get();
        Views.json(response, json, HttpServletResponse.SC_OK, new BatchJson(r.getBatch().getId(),
                r.getBatch().getCreatedAt().toString(), r.isPending() ? "pending" : "done", r.getCounts(),
                r.getItems()));
    }
}
