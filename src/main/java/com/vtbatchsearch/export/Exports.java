package com.vtbatchsearch.export;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ItemQuery;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Optional;

/**
 * Writes a batch as a block list, a MISP event or a STIX 2.1 bundle, as it is read: the rows the report's
 * query selects (every filter of the page applies), each file VirusTotal knows once. Memory holds one chunk of
 * rows whatever the batch's size, and an export of a batch still being looked up holds what is known so far.
 */
public final class Exports {
    private final BatchService batches;
    private final JsonFactory json;
    private final Clock clock;
    private final FileWalk walk;

    public Exports(BatchService batches, JsonFactory json, Clock clock) {
        this(batches, json, clock, FileWalk.CHUNK);
    }

    /** With rows looked at {@code chunkSize} at a time; tests use small ones to cross many boundaries. */
    Exports(BatchService batches, JsonFactory json, Clock clock, int chunkSize) {
        this.batches = batches;
        this.json = json;
        this.clock = clock;
        this.walk = new FileWalk(batches, chunkSize);
    }

    /**
     * Writes the export to {@code out}. The document is finished (closing brackets, last comment line) only
     * when every row was read: a failure part-way throws and leaves it unfinished, so a broken download
     * never looks complete.
     *
     * @param query    the report's query, without a page (the API drops {@code offset} and {@code limit}): an
     *                 export holds every matching file
     * @param comments for block lists, whether to add the {@code #} lines
     * @return false when there is no such batch (nothing was written)
     */
    public boolean write(String batchId, ExportFormat format, ItemQuery query, ExportFilter filter, boolean comments,
            OutputStream out) throws IOException {
        Optional<BatchService.Report> summary = batches.summary(batchId, query);
        if (summary.isEmpty()) {
            return false;
        }
        BatchService.Report report = summary.get();
        ExportContext context = new ExportContext(report.getBatch().getId(), report.getBatch().getCreatedAt(),
                report.isPending(), filter, clock.instant(), batches.exportCounts(batchId, query));
        if (format.isBlockList()) {
            Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            new BlockListWriter(format, comments).write(context, query, walk, writer);
            writer.flush();
            return true;
        }
        JsonGenerator generator = json.createGenerator(out);
        // Only a document whose every row was written is closed: see the method's comment.
        generator.disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
        generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        if (format == ExportFormat.MISP) {
            new MispEventWriter().write(context, query, walk, generator);
        } else {
            new StixBundleWriter().write(context, query, walk, generator);
        }
        generator.flush();
        return true;
    }
}
