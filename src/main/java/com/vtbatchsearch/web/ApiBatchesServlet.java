package com.vtbatchsearch.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.FileDetails;
import com.vtbatchsearch.batch.ItemQuery;
import com.vtbatchsearch.batch.Progress;
import com.vtbatchsearch.batch.Recheck;
import com.vtbatchsearch.batch.UploadRejectedException;
import com.vtbatchsearch.export.ExportFilter;
import com.vtbatchsearch.export.ExportFormat;
import com.vtbatchsearch.export.Exports;
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
 * and paged by query parameters, or exports it ({@code ?format=csv|json}, block lists
 * {@code ?format=sha256|md5|sha1}, a MISP event {@code ?format=misp}, a STIX 2.1 bundle {@code ?format=stix});
 * {@code GET /api/batches/{id}/items/{hash}} answers the engines that flagged one hash and its names;
 * {@code POST /api/batches/{id}/recheck} looks every answer up again (or, with {@code dryRun=true}, says
 * what that costs), {@code POST /api/batches/{id}/watch} sets its re-check schedule;
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
    private final Exports exports;

    public ApiBatchesServlet(UploadLimits limits, BatchService batches, ObjectMapper json, UploadThrottle throttle) {
        this.parser = new UploadParser(limits.maxUploadBytes(), limits.getMaxHashesPerBatch());
        this.limits = limits;
        this.batches = batches;
        this.json = json;
        this.throttle = throttle;
        this.exports = new Exports(batches, json.getFactory(), java.time.Clock.systemUTC());
    }

    /** The answer to a successful POST. */
    /**
     * A new batch. {@code stored}: false for a big upload whose batch is written in the background (seconds);
     * until it is, the batch's addresses answer 503 with {@code Retry-After}.
     */
    public record Created(String id, String reportUrl, long found, int unique, boolean stored) {
    }

    /** A batch as GET answers it; {@code offset} and {@code limit} only when a page was asked for. */
    public record BatchJson(String id, String createdAt, String status, BatchCounts counts, Long etaSeconds,
            Progress progress, Recheck recheck, int matched, @JsonInclude(JsonInclude.Include.NON_NULL) Integer offset,
            @JsonInclude(JsonInclude.Include.NON_NULL) Integer limit, List<BatchService.EngineColumn> engines,
            List<BatchItem> items) {
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String[] path = PathIds.segments(request.getPathInfo());
        if (path.length == 2 && "refresh".equals(path[1])) {
            Optional<Integer> stale = batches.staleLookups(path[0]);
            if (stale.isEmpty()) {
                noSuchBatch(request, response);
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
        if (path.length == 2 && "recheck".equals(path[1])) {
            recheck(path[0], request, response);
            return;
        }
        if (path.length == 2 && "watch".equals(path[1])) {
            watch(path[0], request, response);
            return;
        }
        if (path.length != 0) {
            Views.jsonError(response, json, HttpServletResponse.SC_METHOD_NOT_ALLOWED,
                    "POST to /api/batches, or to /api/batches/{id}/refresh, /recheck or /watch");
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
                new Created(batch.id(), context + "/report/" + batch.id(), batch.found(), batch.unique(),
                        batch.stored()));
    }

    /**
     * {@code POST /api/batches/{id}/recheck}: looks every answer of the batch up again (202), charged to the
     * client's budget of new lookups like a refresh; a re-check already running is answered as it is (200,
     * {@code started} false). {@code dryRun=true} only says what it would cost and when it would be done;
     * {@code watch=daily|weekly|off} also sets the batch's watch schedule.
     */
    private void recheck(String id, HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean dryRun;
        Optional<Recheck.Watch> watch;
        boolean watchGiven = request.getParameter("watch") != null;
        try {
            dryRun = flag(request.getParameter("dryRun"), "dryRun");
            watch = Recheck.Watch.parse(request.getParameter("watch"));
        } catch (IllegalArgumentException e) {
            Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
            return;
        }
        Optional<BatchService.RecheckEstimate> estimate = batches.recheckEstimate(id);
        if (estimate.isEmpty()) {
            noSuchBatch(request, response);
            return;
        }
        if (dryRun) {
            response.setHeader("Cache-Control", "no-store");
            Views.json(response, json, HttpServletResponse.SC_OK, estimate.get());
            return;
        }
        if (watchGiven) {
            batches.watch(id, watch.orElse(null));
        }
        if (estimate.get().running()) {
            batches.finishRecheck(id); // when it is in fact done, a new one starts below
            Optional<Recheck> running = batches.recheckState(id).filter(Recheck::isRunning);
            if (running.isPresent()) {
                Views.json(response, json, HttpServletResponse.SC_OK,
                        recheckAnswer(new BatchService.RecheckStarted(false, 0, running.get())));
                return;
            }
            estimate = batches.recheckEstimate(id);
            if (estimate.isEmpty()) {
                noSuchBatch(request, response);
                return;
            }
        }
        BatchService.RecheckStarted started;
        try (UploadThrottle.Ticket ticket = throttle.admitRefresh(request.getRemoteAddr())) {
            ticket.spendNewHashes(batches.recheckLookups(id).orElse(0));
            started = batches.recheck(id).orElseThrow();
            if (started.started()) {
                ticket.commit();
            }
        } catch (UploadRejectedException e) {
            UploadThrottle.addRetryAfter(response, e);
            Views.jsonError(response, json, e.status(), e.getMessage());
            return;
        }
        Views.json(response, json, started.started() ? HttpServletResponse.SC_ACCEPTED : HttpServletResponse.SC_OK,
                recheckAnswer(started));
    }

    private static java.util.Map<String, Object> recheckAnswer(BatchService.RecheckStarted started) {
        java.util.Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("started", started.started());
        answer.put("queued", started.queued());
        answer.put("recheck", started.recheck());
        return answer;
    }

    /** {@code POST /api/batches/{id}/watch?watch=daily|weekly|off}: sets the batch's watch schedule. */
    private void watch(String id, HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<Recheck.Watch> watch;
        try {
            if (request.getParameter("watch") == null) {
                throw new IllegalArgumentException("watch must be daily, weekly or off");
            }
            watch = Recheck.Watch.parse(request.getParameter("watch"));
        } catch (IllegalArgumentException e) {
            Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
            return;
        }
        if (!batches.watch(id, watch.orElse(null))) {
            noSuchBatch(request, response);
            return;
        }
        java.util.Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("watch", watch.map(Recheck.Watch::key).orElse(null));
        Views.json(response, json, HttpServletResponse.SC_OK, answer);
    }

    private static boolean flag(String value, String name) {
        if (value == null || value.isEmpty() || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw new IllegalArgumentException(name + " must be true or false");
    }

    /** {@code DELETE /api/batches/{id}}: the batch and its items go (204); the cached answers stay. */
    @Override
    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!batches.delete(PathIds.single(request.getPathInfo()))) {
            noSuchBatch(request, response);
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
        String[] segments = PathIds.segments(request.getPathInfo());
        if (segments.length == 2 && "facets".equals(segments[1])) {
            getFacets(segments[0], request, response);
            return;
        }
        String id = PathIds.single(request.getPathInfo());
        if (batches.find(id).isEmpty()) {
            noSuchBatch(request, response);
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
        String comments = request.getParameter("comments");
        if (comments != null && !comments.equals("true") && !comments.equals("false")) {
            Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST, "comments must be true or false");
            return;
        }
        ExportFilter filter = ExportFilter.from(request.getParameterMap());
        Optional<ExportFormat> file = ExportFormat.parse(format);
        if (file.isPresent()) {
            // Every matching file: the page a report shows is not a filter.
            java.util.Map<String, String[]> unpaged = new java.util.HashMap<>(request.getParameterMap());
            unpaged.remove("offset");
            unpaged.remove("limit");
            exportFile(id, file.get(), ItemQuery.fromParameters(unpaged, false), filter, "true".equals(comments),
                    response);
            return;
        }
        if ("csv".equals(format)) {
            exportCsv(id, query, filter, response);
            return;
        }
        if (format != null && !format.equals("json")) {
            Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST,
                    "format must be one of csv, json, sha256, md5, sha1, misp, stix");
            return;
        }
        if (!query.isPaged()) {
            streamAll(id, query, format != null ? filter : null, response);
            return;
        }
        Optional<BatchService.Report> report = batches.report(id, query);
        if (report.isEmpty()) {
            noSuchBatch(request, response);
            return;
        }
        BatchService.Report r = report.get();
        response.setHeader("Cache-Control", "no-store");
        if (format != null) {
            attachment(response, filter.fileName(id, "json"));
        }
        byte[] body = json.writeValueAsBytes(new BatchJson(r.getBatch().getId(),
                r.getBatch().getCreatedAt().toString(), r.isPending() ? "pending" : "done", r.getCounts(),
                r.getEtaSeconds(), r.getProgress(), r.getRecheck(), r.getMatched(), query.isPaged() ? query.offset() : null,
                query.isPaged() ? query.limit() : null, r.getEngines(), r.getItems()));
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
    private void streamAll(String id, ItemQuery query, ExportFilter download, HttpServletResponse response)
            throws IOException {
        Optional<BatchService.Report> summary = batches.summary(id, query);
        if (summary.isEmpty()) {
            noSuchBatch(id, response);
            return;
        }
        BatchService.Report r = summary.get();
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        if (download != null) {
            attachment(response, download.fileName(id, "json"));
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
        out.writeFieldName("recheck");
        json.writerFor(Recheck.class).without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE)
                .writeValue(out, r.getRecheck());
        out.writeNumberField("matched", r.getMatched());
        out.writeFieldName("engines");
        json.writerFor(new com.fasterxml.jackson.core.type.TypeReference<List<BatchService.EngineColumn>>() { })
                .without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE).writeValue(out, r.getEngines());
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

    /**
     * {@code GET /api/batches/{id}/facets[?facet=family,yaraRules]}: the batch's top values with their counts
     * of each facet (all by default), each value a filter of the report ({@code family=...}).
     */
    private void getFacets(String id, HttpServletRequest request, HttpServletResponse response) throws IOException {
        List<BatchRepository.Facet> asked = new java.util.ArrayList<>();
        String names = request.getParameter("facet");
        if (names == null || names.isBlank()) {
            asked.addAll(List.of(BatchRepository.Facet.values()));
        } else {
            for (String name : names.split(",")) {
                Optional<BatchRepository.Facet> facet = BatchRepository.Facet.parse(name.strip());
                if (facet.isEmpty()) {
                    Views.jsonError(response, json, HttpServletResponse.SC_BAD_REQUEST,
                            "facet must be one of family, category, yaraRules, fileType, signer, firstSeenYear");
                    return;
                }
                if (!asked.contains(facet.get())) {
                    asked.add(facet.get());
                }
            }
        }
        Optional<java.util.Map<String, List<BatchRepository.FacetValue>>> facets = batches.facets(id, asked);
        if (facets.isEmpty()) {
            noSuchBatch(request, response);
            return;
        }
        response.setHeader("Cache-Control", "no-store");
        Views.json(response, json, HttpServletResponse.SC_OK, facets.get());
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
    private void exportCsv(String id, ItemQuery query, ExportFilter filter, HttpServletResponse response)
            throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("text/csv");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        attachment(response, filter.fileName(id, "csv"));
        ItemCsvWriter csv = new ItemCsvWriter(response.getWriter(), batches.engineColumns(query));
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
            failedPartWay(id, response, e);
            return false;
        }
    }

    /**
     * A block list, a MISP event or a STIX bundle of the files the query selects, streamed as it is read;
     * a failure part-way cuts the connection as {@link #exportOrCut} does.
     */
    private void exportFile(String id, ExportFormat format, ItemQuery query, ExportFilter filter, boolean comments,
            HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(format.contentType());
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        attachment(response, filter.fileName(id, format.extension()));
        try {
            if (!exports.write(id, format, query, filter, comments, response.getOutputStream())) {
                response.reset();
                noSuchBatch(id, response);
            }
        } catch (RuntimeException e) {
            failedPartWay(id, response, e);
        }
    }

    /**
     * An export whose reading failed: a 500 while nothing reached the client, else the failure goes on to the
     * container, which cuts the connection (see {@link #exportOrCut}).
     */
    private void failedPartWay(String id, HttpServletResponse response, RuntimeException e) throws IOException {
        LOG.warning(() -> "export of batch " + id + " failed part-way, " + (response.isCommitted()
                ? "connection cut" : "answered 500") + ": " + e);
        if (response.isCommitted()) {
            throw e;
        }
        response.reset();
        response.setHeader("Cache-Control", "no-store");
        Views.jsonError(response, json, HttpServletResponse.SC_INTERNAL_SERVER_ERROR,
                "The export could not be read; try again.");
    }

    /** The name holds only letters, digits, hyphens and dots (see {@link ExportFilter#fileName}): no quoting beyond the quotes. */
    private static void attachment(HttpServletResponse response, String fileName) {
        response.setHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
    }

    /** 404 for an unknown batch; 503 with {@code Retry-After} for one still being stored. */
    private void noSuchBatch(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String[] path = PathIds.segments(request.getPathInfo());
        noSuchBatch(path.length == 0 ? null : path[0], response);
    }

    private void noSuchBatch(String id, HttpServletResponse response) throws IOException {
        Views.jsonNoSuchBatch(response, json, batches.storing(id));
    }
}
