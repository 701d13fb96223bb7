package com.vtbatchsearch.export;

import com.vtbatchsearch.batch.BatchRepository;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What an export says about itself: the batch, the filters that chose its rows, when it was made, and how
 * the matching rows stood when it began.
 *
 * @param pending lookups of the batch are still open: the export holds what is known so far
 */
record ExportContext(String batchId, Instant createdAt, boolean pending, ExportFilter filter, Instant exportedAt,
        BatchRepository.ExportCounts counts) {
    private static final DateTimeFormatter MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** The first 8 characters of the batch id, as pages and file names show it. */
    String shortId() {
        return batchId.substring(0, Math.min(8, batchId.length()));
    }

    /** An instant as STIX writes timestamps: UTC, to the millisecond. */
    static String stixTime(Instant instant) {
        return MILLIS.format(instant);
    }
}
