package com.vtbatchsearch.export;

import com.fasterxml.jackson.core.JsonGenerator;
import com.vtbatchsearch.batch.ItemQuery;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A STIX 2.1 bundle: the producer as an {@code identity}; an {@code indicator} per matching file that counts
 * as malicious or suspicious (a {@code stix} pattern over its SHA-256, MD5 and SHA-1); a {@code malware}
 * family per family named, and an {@code indicates} relationship from each indicator to its family. Ids are
 * name-based UUIDs (version 5) of the file's SHA-256 and the family's name, so an indicator is the same
 * object in every export that holds its file: importing again updates it ({@code modified} follows
 * VirusTotal's last analysis) instead of adding a copy. An indicator's text comes from the answer alone,
 * never from the upload, so two reports holding a file export the same object.
 */
final class StixBundleWriter {
    /** When the producer's identity and the families were first described: fixed, so they never change. */
    static final Instant DEFINED = Instant.parse("2026-12-01T00:00:00Z");
    /** Families named once per export; beyond this many an export may name a family again (the same object). */
    static final int FAMILIES_REMEMBERED = 10_000;

    static final String IDENTITY_ID = "identity--" + Uuids.of("identity|vt-batch-search");

    void write(ExportContext context, ItemQuery query, FileWalk walk, JsonGenerator out) throws IOException {
        Map<String, Boolean> named = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > FAMILIES_REMEMBERED;
            }
        };
        out.writeStartObject();
        out.writeStringField("type", "bundle");
        out.writeStringField("id", "bundle--" + Uuids.of("bundle|" + context.batchId() + "|" + context.filter().key()));
        out.writeArrayFieldStart("objects");
        identity(out);
        walk.walk(context.batchId(), query, file -> {
            if (file.verdict() != ItemQuery.Verdict.MALICIOUS && file.verdict() != ItemQuery.Verdict.SUSPICIOUS) {
                return;
            }
            String family = file.family() == null || file.family().isBlank() ? null
                    : file.family().strip().toLowerCase(Locale.ROOT);
            if (family != null && named.put(family, Boolean.TRUE) == null) {
                malware(out, family);
            }
            indicator(out, file);
            if (family != null) {
                relationship(out, file, family);
            }
        });
        out.writeEndArray();
        out.writeEndObject();
    }

    static String indicatorId(String sha256) {
        return "indicator--" + Uuids.of("indicator|file|" + sha256);
    }

    static String malwareId(String family) {
        return "malware--" + Uuids.of("malware|" + family);
    }

    private static void common(JsonGenerator out, String type, String id, Instant created, Instant modified)
            throws IOException {
        out.writeStringField("type", type);
        out.writeStringField("spec_version", "2.1");
        out.writeStringField("id", id);
        if (!type.equals("identity")) {
            out.writeStringField("created_by_ref", IDENTITY_ID);
        }
        out.writeStringField("created", ExportContext.stixTime(created));
        out.writeStringField("modified", ExportContext.stixTime(modified));
    }

    private static void identity(JsonGenerator out) throws IOException {
        out.writeStartObject();
        common(out, "identity", IDENTITY_ID, DEFINED, DEFINED);
        out.writeStringField("name", "VT Batch Search");
        out.writeStringField("description", "Looks lists of file hashes up in VirusTotal and exports the verdicts.");
        out.writeStringField("identity_class", "system");
        out.writeEndObject();
    }

    private static void malware(JsonGenerator out, String family) throws IOException {
        out.writeStartObject();
        common(out, "malware", malwareId(family), DEFINED, DEFINED);
        out.writeStringField("name", family);
        out.writeBooleanField("is_family", true);
        out.writeEndObject();
    }

    private static void indicator(JsonGenerator out, ExportFile file) throws IOException {
        Instant created = created(file);
        Instant modified = modified(file, created);
        boolean malicious = file.verdict() == ItemQuery.Verdict.MALICIOUS;
        out.writeStartObject();
        common(out, "indicator", indicatorId(file.sha256()), created, modified);
        out.writeStringField("name", (malicious ? "Malicious" : "Suspicious") + " file " + file.sha256());
        out.writeStringField("description", description(file));
        out.writeArrayFieldStart("indicator_types");
        out.writeString(malicious ? "malicious-activity" : "anomalous-activity");
        out.writeEndArray();
        out.writeArrayFieldStart("labels");
        out.writeString(file.verdict().key());
        if (file.label() != null && !file.label().isBlank()) {
            out.writeString(file.label());
        }
        out.writeEndArray();
        out.writeStringField("pattern", pattern(file));
        out.writeStringField("pattern_type", "stix");
        out.writeStringField("pattern_version", "2.1");
        out.writeStringField("valid_from", ExportContext.stixTime(created));
        out.writeArrayFieldStart("external_references");
        out.writeStartObject();
        out.writeStringField("source_name", "VirusTotal");
        out.writeStringField("url", "https://www.virustotal.com/gui/file/" + file.sha256());
        out.writeStringField("external_id", file.sha256());
        out.writeEndObject();
        out.writeEndArray();
        out.writeEndObject();
    }

    private static void relationship(JsonGenerator out, ExportFile file, String family) throws IOException {
        Instant created = created(file);
        out.writeStartObject();
        common(out, "relationship", "relationship--" + Uuids.of("indicates|" + file.sha256() + "|" + family),
                created, modified(file, created));
        out.writeStringField("relationship_type", "indicates");
        out.writeStringField("source_ref", indicatorId(file.sha256()));
        out.writeStringField("target_ref", malwareId(family));
        out.writeEndObject();
    }

    /** {@code [file:hashes.'SHA-256' = '…' OR file:hashes.MD5 = '…' OR file:hashes.'SHA-1' = '…']}: hex digits only. */
    static String pattern(ExportFile file) {
        StringBuilder pattern = new StringBuilder("[file:hashes.'SHA-256' = '").append(file.sha256()).append('\'');
        if (file.md5() != null) {
            pattern.append(" OR file:hashes.MD5 = '").append(file.md5()).append('\'');
        }
        if (file.sha1() != null) {
            pattern.append(" OR file:hashes.'SHA-1' = '").append(file.sha1()).append('\'');
        }
        return pattern.append(']').toString();
    }

    private static String description(ExportFile file) {
        StringBuilder d = new StringBuilder("VirusTotal: ").append(file.detections());
        if (file.lastAnalysis() != null) {
            d.append(" (last analysis ").append(file.lastAnalysis()).append(')');
        }
        d.append('.');
        if (file.label() != null) {
            d.append(" Threat label: ").append(file.label()).append('.');
        }
        if (file.family() != null) {
            d.append(" Family: ").append(file.family()).append('.');
        }
        if (file.fileType() != null) {
            d.append(" File type: ").append(file.fileType()).append('.');
        }
        if (file.name() != null) {
            d.append(" Name: ").append(file.name()).append('.');
        }
        return d.toString();
    }

    /** When the file was first submitted to VirusTotal (else analysed; else the fixed date): never changes. */
    private static Instant created(ExportFile file) {
        return file.firstSeen() != null ? file.firstSeen() : file.lastAnalysis() != null ? file.lastAnalysis() : DEFINED;
    }

    /** The last analysis: a newer answer is a newer version of the same indicator. */
    private static Instant modified(ExportFile file, Instant created) {
        return file.lastAnalysis() != null && file.lastAnalysis().isAfter(created) ? file.lastAnalysis() : created;
    }
}
