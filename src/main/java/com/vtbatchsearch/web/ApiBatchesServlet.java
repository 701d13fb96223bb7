package com.vtbatchsearch.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.FileDetails;
import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.batch.Progress;
import com.vtbatchsearch.batch.UploadRejectedException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON API: {@code POST /api/batches} (multipart field {@code file}/{@code text}, or a
 * {@code text/plain} body) creates a batch; {@code GET /api/batches/{id}} reads it back, filtered, sorted
 * and paged by query parameters, or exports it ({@code ?format=csv|json});
 * {@code GET /api/batches/{id}/items/{hash}} answers the engines that flagged one hash and its names;
 * {@code DELETE /api/batches/{id}} deletes a batch.
 * Every error is {@code {"error": "..."}} with its status.
 */
public final class ApiBatchesServlet extends HttpServlet {
    private static final Logger LOG = Logger.getLogger(ApiBatchesServlet.class.getName());
    private static final Pattern ITEM_PATH = Pattern.compile("/([^/]+)/items/([^/]+)");
    private final UploadParser parser;
    private final BatchService batches;
    private final ObjectMapper json;
    private final UploadThrottle throttle;
    private final UploadLimits limits;

    public ApiBatchesServlet(UploadLimits limits, BatchService batches, ObjectMapper json, UploadThrottle throttle) {
        this.parser = new UploadParser(limits.maxUploadBytes(), limits.getMaxHashesPerBatch());
        this.limits = limits;
        this.batches = batches;
        this.json = json;
        this.throttle = throttle;
    }

    /** The answer to a successful POST. */
    public record Created(String id, String reportUrl, long found, int unique) {
    }

    /** A batch as GET answers it; {@code offset} and {@code limit} only when a page was asked for. */
    public record BatchJson(String id, String createdAt, String status, BatchCounts counts, Long etaSeconds,
            Progress progress, int matched, @JsonInclude(JsonInclude.Include.NON_NULL) Integer offset,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer limit, List<BatchItem> items) {
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String[] path = PathIds.segments(request.getPathInfo());
        if (path.length == 2 && "refresh".equals(path[1])) {
            Optional<Integer> stale = batches.staleLookups(path[0]);
            if (stale.isEmpty()) {
                Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
                return;
            }
            int queued;
            try (UploadThrottle.Ticket ticket = throttle.admitRefresh(request.getRemoteAddr())) {
                ticket.spendNewHashes(stale.get());
                queued = batches.refreshStale(path[0]).orElse(0);
                ticket.commit();
            } catch (UploadRejectedException e) {
                UploadThrottle.addRetryAfter(response, e);
                Views.jsonError(response, json, e.status(), e.getMessage());
                return;
            }
            Views.json(response, json, HttpServletResponse.SC_ACCEPTED, java.util.Map.of("queued", queued));
            return;
        }
        if (path.length != 0) {
            Views.jsonError(response, json, HttpServletResponse.SC_METHOD_NOT_ALLOWED,
                    "POST to /api/batches, or to /api/batches/{id}/refresh");
            return;
        }
        boolean multipart = UploadParser.isMultipart(request);
        if (!multipart && !UploadParser.isPlainText(request)) {
            Views.jsonError(response, json, HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE,
                    "Send multipart/form-data with a 'file' (or 'text') field, or a text/plain body.");
            return;
        }
        BatchService.Submitted batch;
        UploadBody body = new UploadBody(request, limits);
        try (UploadThrottle.Ticket ticket = throttle.admit(request.getRemoteAddr())) {
            ExtractedHashes hashes = multipart ? parser.parseMultipart(body) : parser.parseBody(body);
            ticket.spendNewHashes(batches.lookupsNeeded(hashes));
            batch = batches.submit(hashes);
            ticket.commit();
        } catch (UploadRejectedException e) {
            UploadThrottle.addRetryAfter(response, e);
            body.discardRest(response, e);
            Views.jsonError(response, json, e.status(), e.getMessage());
            return;
        }
        String context = request.getContextPath();
        response.setHeader("Location", context + "/api/batches/" + batch.id());
        Views.json(response, json, HttpServletResponse.SC_CREATED,
                new Created(batch.id(), context + "/report/" + batch.id(), batch.found(), batch.unique()));
    }

    /** {@code DELETE /api/batches/{id}}: the batch and its items go (204); the cached answers stay. */
    @Override
    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!batches.delete(PathIds.single(request.getPathInfo()))) {
            Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
            return;
        }
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Matcher details = ITEM_PATH.matcher(request.getPathInfo() == null ? "" : request.getPathInfo());
        if (details.matches()) {
            getDetails(details.group(1), details.group(2), response);
            return;
        }
        String id = PathIds.single(request.getPathInfo());
        if (batches.find(id).isEmpty()) {
            Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
            return;
        }
        ItemQuery query;
        try {
            query = ItemQuery.fromParameters(request.getParameterMap(), false);
        } catch (IllegalArgumentException e) {
            Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
            return;
        }
        String format = request.getParameter("format");
        if ("csv".equals(format)) {
            exportCsv(id, query, response);
            return;
        }
        if (format != null && !format.equals("json")) {
            Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST, "format must be csv or json");
            return;
        }
        if (!query.isPaged()) {
            streamAll(id, query, format != null, response);
            return;
        }
        Optional<BatchService.Report> report = batches.report(id, query);
        if (report.isEmpty()) {
            Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
            return;
        }
        BatchService.Report r = report.get();
        response.setHeader("Cache-Control", "no-store");
        if (format != null) {
            attachment(response, id, "json");
        }
        byte[] body = json.writeValueAsBytes(new BatchJson(r.getBatch().getId(),
                r.getBatch().getCreatedAt().toString(), r.isPending() ? "pending" : "done", r.getCounts(),
                r.getEtaSeconds(), r.getProgress(), r.getMatched(), query.isPaged() ? query.offset() : null,
                query.isPaged() ? query.limit() : null, r.getItems()));
        // A page is small (at most 1,000 items): its ETag is a digest of the answer, so a poll that would get
        // the same bytes again gets 304 and no body.
        String etag = etag(body);
        response.setHeader("ETag", etag);
        if (format == null && matches(request.getHeader("If-None-Match"), etag)) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** A strong entity tag of these bytes: 128 bits of their SHA-256. */
    static String etag(byte[] body) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(java.util.Arrays.copyOf(digest, 16)) + "\"";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** True when an If-None-Match header names {@code etag} (or is {@code *}); weak tags compare as strong. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes the answer without paging as the items are read, so a batch of any size costs a few rows of
     * memory; the same fields, in the same order, as {@link BatchJson}.
     */
    private void streamAll(String id, ItemQuery query, boolean download, HttpServletResponse response)
            throws IOException {
        Optional<BatchService.Report> summary = batches.summary(id, query);
        if (summary.isEmpty()) {
            Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such batch.");
            return;
        }
        BatchService.Report r = summary.get();
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        if (download) {
            attachment(response, id, "json");
        }
        ObjectWriter itemWriter = json.writerFor(BatchItem.class).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
        JsonGenerator out = json.getFactory().createGenerator(response.getOutputStream());
        // Only an export that read every row may close the document: see exportOrCut.
        out.disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
        out.writeStartObject();
        out.writeStringField("id", r.getBatch().getId());
        out.writeStringField("createdAt", r.getBatch().getCreatedAt().toString());
        out.writeStringField("status", r.isPending() ? "pending" : "done");
        out.writeFieldName("counts");
        json.writerFor(BatchCounts.class).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE)
                .writeValue(out, r.getCounts());
        out.writeFieldName("etaSeconds");
        if (r.getEtaSeconds() == null) {
            out.writeNull();
        } else {
            out.writeNumber(r.getEtaSeconds());
        }
        out.writeFieldName("progress");
        json.writerFor(Progress.class).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE)
                .writeValue(out, r.getProgress());
        out.writeNumberField("matched", r.getMatched());
        out.writeArrayFieldStart("items");
        if (!exportOrCut(id, query, response, item -> {
            try {
                itemWriter.writeValue(out, item);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        })) {
            return;
        }
        out.writeEndArray();
        out.writeEndObject();
        out.close();
    }

    private void getDetails(String id, String hash, HttpServletResponse response) throws IOException {
        Optional<FileDetails> details = batches.details(id, hash);
        if (details.isEmpty()) {
            Views.jsonError(response, json, HttpServletResponse.SC_NOT_FOUND, "No such hash in this batch.");
            return;
        }
        response.setHeader("Cache-Control", "no-store");
        Views.json(response, json, HttpServletResponse.SC_OK, details.get());
    }

    /** Streams the rows as they are read, so a batch of any size costs one chunk of rows in memory. */
    private void exportCsv(String id, ItemQuery query, HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("text/csv");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        attachment(response, id, "csv");
        ItemCsvWriter csv = new ItemCsvWriter(response.getWriter());
        if (exportOrCut(id, query, response, csv::write)) {
            csv.close();
        }
    }

    /**
     * Hands every item of the export to {@code writer}. When reading (or writing) fails part-way, the
     * export must not look complete: a CSV has no end marker and a JSON document would be closed by its
     * writer. So nothing is closed; before anything reached the client the answer becomes a 500, after that
     * the failure goes to the container, which cuts the connection of an answer already begun (no last
     * chunk), and the client sees a broken download rather than a short one.
     *
     * @return true when every item was written and the caller may close the document
     */
    private boolean exportOrCut(String id, ItemQuery query, HttpServletResponse response,
            Consumer<BatchItem> writer) throws IOException {
        try {
            batches.export(id, query, writer);
            return true;
        } catch (UncheckedIOException e) {
            throw e.getCause(); // the client went away: there is no one left to tell
        } catch (RuntimeException e) {
            LOG.warning(() -> "export of batch " + id + " failed part-way, " + (response.isCommitted()
                    ? "connection cut" : "answered 500") + ": " + e);
            if (response.isCommitted()) {
                throw e;
            }
            response.reset();
            response.setHeader("Cache-Control", "no-store");
            Views.jsonError(response, json, HttpServletResponse.SC_INTERNAL_SERVER_ERROR,
                    "The export could not be read; try again.");
            return false;
        }
    }

    /** The id is a checked UUID, so the file name needs no quoting beyond the quotes. */
    private static void attachment(HttpServletResponse response, String id, String extension) {
        response.setHeader("Content-Disposition", "attachment; filename=\"vt-batch-" + id + "." + extension + "\"");
    }
}
