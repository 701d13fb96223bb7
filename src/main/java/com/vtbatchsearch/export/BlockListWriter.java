package com.vtbatchsearch.export;

import com.vtbatchsearch.batch.ItemQuery;
import java.io.IOException;
import java.io.Writer;

/**
 * A block list: one lower-case hash a line (LF), of each matching file VirusTotal knows, once, in the
 * report's order; an md5 or sha1 of the upload becomes its file's SHA-256 (or the other way round) through
 * the answer. Nothing but hex digits reaches a line that does not start with {@code #}. With comments, lines
 * starting with {@code #} first say what the list holds and how many matching rows it leaves out (no answer
 * from VirusTotal yet, not on VirusTotal, failed), and last how many files it listed.
 */
final class BlockListWriter {
    private final ExportFormat format;
    private final boolean comments;

    BlockListWriter(ExportFormat format, boolean comments) {
        if (!format.isBlockList()) {
            throw new IllegalArgumentException(format + " is not a block list");
        }
        this.format = format;
        this.comments = comments;
    }

    void write(ExportContext context, ItemQuery query, FileWalk walk, Writer out) throws IOException {
        String kind = switch (format) {
            case MD5 -> "MD5";
            case SHA1 -> "SHA-1";
            default -> "SHA-256";
        };
        if (comments) {
            var counts = context.counts();
            comment(out, "VT Batch Search block list: the " + kind + " of each matching file VirusTotal knows, once");
            comment(out, "report " + context.batchId() + ", filter: " + context.filter().describe()
                    + ", exported " + context.exportedAt());
            comment(out, counts.matched() + " rows match; " + (counts.matched() - counts.answered())
                    + " left out without an answer from VirusTotal (" + counts.pending() + " pending, "
                    + counts.notFound() + " not on VirusTotal, " + counts.errors() + " failed)"
                    + (context.pending() ? "; lookups are still running" : ""));
        }
        FileWalk.Tally tally = walk.walk(context.batchId(), query, file -> {
            String hash = switch (format) {
                case MD5 -> file.md5();
                case SHA1 -> file.sha1();
                default -> file.sha256();
            };
            if (hash != null) {
                out.write(hash);
                out.write('\n');
            }
        });
        if (comments) {
            comment(out, tally.files() + " files listed; " + tally.repeats()
                    + " rows held another hash of a file listed");
        }
    }

    /** A comment line: control characters (a line break in a search text) become spaces, so it stays one line. */
    private static void comment(Writer out, String text) throws IOException {
        out.write("# ");
        out.write(text.replaceAll("[\\p{Cntrl}\\u2028\\u2029\\u0085]", " "));
        out.write('\n');
    }
}
