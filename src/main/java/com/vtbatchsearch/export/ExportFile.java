package com.vtbatchsearch.export;

import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.ItemQuery;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One file VirusTotal knows, as the exports list it: once, however many of its hashes the upload held.
 *
 * @param uploaded the matching rows of the batch that hold one of its hashes, in upload order
 */
record ExportFile(String sha256, String md5, String sha1, ItemQuery.Verdict verdict, int malicious, int suspicious,
        int total, String label, String family, String name, String fileType, Long size, Instant firstSeen,
        Instant lastAnalysis, String vtUrl, List<BatchRepository.FileRow> uploaded) {
    static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");
    static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    static ExportFile of(BatchItem item, BatchRepository.FileRows rows) {
        return new ExportFile(hex(item.getSha256(), SHA256), hex(either(item.getMd5(), rows.md5()), MD5),
                hex(either(item.getSha1(), rows.sha1()), SHA1), item.category(), item.getMalicious(),
                item.getSuspicious(), item.getTotal(), item.getLabel(), blankless(item.getFamily()), item.getName(),
                item.getFileType(), item.getSize(), instant(item.getFirstSeen()),
                instant(item.getLastAnalysis()), item.getVtUrl(), rows.rows());
    }

    /** The hash lower-cased when it is one of its kind, else null: an export never writes anything else as a hash. */
    static String hex(String value, Pattern kind) {
        if (value == null) {
            return null;
        }
        String lower = value.toLowerCase(java.util.Locale.ROOT);
        return kind.matcher(lower).matches() ? lower : null;
    }

    private static String either(String first, String second) {
        return first != null ? first : second;
    }

    private static String blankless(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static Instant instant(String iso) {
        return iso == null ? null : Instant.parse(iso);
    }

    /** The lines of the upload its hashes came from, in upload order, without repeats. */
    List<String> contexts() {
        return uploaded.stream().map(BatchRepository.FileRow::context).filter(Objects::nonNull).distinct().toList();
    }

    /** "62 of 74 engines flag it as malicious" and the like. */
    String detections() {
        if (malicious > 0) {
            return malicious + " of " + total + " engines flag it as malicious";
        }
        if (suspicious > 0) {
            return suspicious + " of " + total + " engines flag it as suspicious";
        }
        return "none of " + total + " engines flags it";
    }
}
