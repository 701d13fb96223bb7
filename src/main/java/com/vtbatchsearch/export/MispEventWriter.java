package com.vtbatchsearch.export;

import com.fasterxml.jackson.core.JsonGenerator;
import com.vtbatchsearch.batch.ItemQuery;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A MISP event in MISP's core format ({@code {"Event": {...}}}): the report as the event, its title naming
 * the report and the filter; one {@code file} object (MISP's object template) per matching file VirusTotal
 * knows, holding its md5, sha1 and sha256 attributes ({@code to_ids} true for malicious files), its name,
 * and its state; the family, threat label and verdict as tags of the hash attributes; the detections as
 * their comment and the lines of the upload the hashes came from as the object's comment. A last
 * attribute of the event counts the rows. Numbers are strings and ids name-based UUIDs, as MISP expects:
 * the same report and filter give the same event, objects and attributes again. Text is written by the
 * JSON generator, so it is escaped.
 */
final class MispEventWriter {
    static final String FILE_TEMPLATE_UUID = "688c46fb-5edb-40a3-8273-1af7923e2215";
    static final String FILE_TEMPLATE_VERSION = "23";

    void write(ExportContext context, ItemQuery query, FileWalk walk, JsonGenerator out) throws IOException {
        UUID event = Uuids.of("misp-event|" + context.batchId() + "|" + context.filter().key());
        long exportedAt = context.exportedAt().getEpochSecond();
        out.writeStartObject();
        out.writeObjectFieldStart("Event");
        out.writeStringField("uuid", event.toString());
        out.writeStringField("info", "VT Batch Search report " + context.shortId() + ": "
                + context.filter().describe());
        out.writeStringField("date", context.createdAt().atZone(ZoneOffset.UTC).toLocalDate().toString());
        out.writeStringField("timestamp", Long.toString(exportedAt));
        out.writeStringField("publish_timestamp", "0");
        out.writeBooleanField("published", false);
        // 1 ongoing while lookups run, 2 complete; threat level 4 undefined; distribution 0 this organisation only.
        out.writeStringField("analysis", context.pending() ? "1" : "2");
        out.writeStringField("threat_level_id", "4");
        out.writeStringField("distribution", "0");
        out.writeObjectFieldStart("Orgc");
        out.writeStringField("name", "VT Batch Search");
        out.writeEndObject();
        out.writeArrayFieldStart("Object");
        FileWalk.Tally tally = walk.walk(context.batchId(), query, file -> object(out, event, file, context));
        out.writeEndArray();
        out.writeArrayFieldStart("Attribute");
        var counts = context.counts();
        attribute(out, Uuids.of("misp-attribute|" + event + "|summary"), "comment", null, "Other",
                "VT Batch Search report " + context.batchId() + ", filter: " + context.filter().describe() + ". "
                        + counts.matched() + " rows match, " + tally.files() + " files VirusTotal knows; "
                        + (counts.matched() - counts.answered()) + " rows without an answer are left out ("
                        + counts.pending() + " pending, " + counts.notFound() + " not on VirusTotal, "
                        + counts.errors() + " failed)" + (context.pending() ? "; lookups are still running." : "."),
                false, "", exportedAt, List.of(), false);
        out.writeEndArray();
        out.writeEndObject();
        out.writeEndObject();
    }

    private static void object(JsonGenerator out, UUID event, ExportFile file, ExportContext context)
            throws IOException {
        long timestamp = seconds(file, context);
        String objectKey = event + "|" + file.sha256();
        out.writeStartObject();
        out.writeStringField("name", "file");
        out.writeStringField("meta-category", "file");
        out.writeStringField("description", "File object describing a file with meta-information");
        out.writeStringField("template_uuid", FILE_TEMPLATE_UUID);
        out.writeStringField("template_version", FILE_TEMPLATE_VERSION);
        out.writeStringField("uuid", Uuids.of("misp-object|" + objectKey).toString());
        out.writeStringField("timestamp", Long.toString(timestamp));
        out.writeStringField("distribution", "5");
        out.writeStringField("sharing_group_id", "0");
        out.writeStringField("comment", objectComment(file));
        out.writeArrayFieldStart("Attribute");
        boolean malicious = file.verdict() == ItemQuery.Verdict.MALICIOUS;
        List<String> tags = tags(file);
        String detections = "VirusTotal: " + file.detections()
                + (file.lastAnalysis() == null ? "" : " (analysed " + file.lastAnalysis() + ")");
        for (String[] hash : new String[][] {{"md5", file.md5()}, {"sha1", file.sha1()}, {"sha256", file.sha256()}}) {
            if (hash[1] != null) {
                attribute(out, Uuids.of("misp-attribute|" + objectKey + "|" + hash[0]), hash[0], hash[0],
                        "Payload delivery", hash[1], malicious, detections, timestamp, tags, false);
            }
        }
        if (file.name() != null) {
            attribute(out, Uuids.of("misp-attribute|" + objectKey + "|filename"), "filename", "filename",
                    "Payload delivery", file.name(), false, "", timestamp, List.of(), true);
        }
        if (file.size() != null) {
            attribute(out, Uuids.of("misp-attribute|" + objectKey + "|size-in-bytes"), "size-in-bytes",
                    "size-in-bytes", "Other", Long.toString(file.size()), false, "", timestamp, List.of(), true);
        }
        String state = switch (file.verdict()) {
            case MALICIOUS -> "Malicious";
            case CLEAN -> "Harmless";
            default -> null;
        };
        if (state != null) {
            attribute(out, Uuids.of("misp-attribute|" + objectKey + "|state"), "text", "state", "Other", state,
                    false, detections, timestamp, List.of(), true);
        }
        out.writeEndArray();
        out.writeEndObject();
    }

    /** The verdict, detections and the lines of the upload the file's hashes came from. */
    private static String objectComment(ExportFile file) {
        StringBuilder comment = new StringBuilder(file.verdict().key()).append(": ").append(file.detections());
        for (String line : file.contexts()) {
            comment.append("; line: ").append(line);
        }
        return comment.toString();
    }

    /** Machine tags: {@code virustotal:family="emotet"}, {@code virustotal:label="..."}, {@code virustotal:verdict="..."}. */
    private static List<String> tags(ExportFile file) {
        List<String> tags = new ArrayList<>();
        if (file.family() != null) {
            tags.add(tag("family", file.family()));
        }
        if (file.label() != null) {
            tags.add(tag("label", file.label()));
        }
        tags.add(tag("verdict", file.verdict().key()));
        return tags;
    }

    /** A tag's value may not hold its quotes or control characters; they become spaces. */
    private static String tag(String predicate, String value) {
        return "virustotal:" + predicate + "=\"" + value.replaceAll("[\"\\p{Cntrl}]", " ").strip() + "\"";
    }

    private static void attribute(JsonGenerator out, UUID uuid, String type, String relation, String category,
            String value, boolean toIds, String comment, long timestamp, List<String> tags, boolean noCorrelation)
            throws IOException {
        out.writeStartObject();
        out.writeStringField("uuid", uuid.toString());
        out.writeStringField("type", type);
        if (relation != null) {
            out.writeStringField("object_relation", relation);
        }
        out.writeStringField("category", category);
        out.writeStringField("value", value);
        out.writeBooleanField("to_ids", toIds);
        out.writeStringField("comment", comment);
        out.writeStringField("timestamp", Long.toString(timestamp));
        out.writeStringField("distribution", "5");
        out.writeBooleanField("disable_correlation", noCorrelation);
        if (!tags.isEmpty()) {
            out.writeArrayFieldStart("Tag");
            for (String tag : tags) {
                out.writeStartObject();
                out.writeStringField("name", tag);
                out.writeBooleanField("exportable", true);
                out.writeEndObject();
            }
            out.writeEndArray();
        }
        out.writeEndObject();
    }

    /** When the file's answer was made: its last analysis, else its first submission, else the batch's upload. */
    private static long seconds(ExportFile file, ExportContext context) {
        Instant when = file.lastAnalysis() != null ? file.lastAnalysis()
                : file.firstSeen() != null ? file.firstSeen() : context.createdAt();
        return when.getEpochSecond();
    }
}
