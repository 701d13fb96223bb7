package com.vtbatchsearch.lookup;

import java.time.Instant;
import java.util.List;

/**
 * What VirusTotal knows about one file: its three hashes, the verdict counts of the last analysis and
 * the descriptive fields shown in a report, plus the raw JSON answer for anything not picked out here.
 */
public record FileReport(
        String sha256,
        String md5,
        String sha1,
        int malicious,
        int suspicious,
        int undetected,
        int harmless,
        String threatLabel,
        String meaningfulName,
        String typeDescription,
        Instant firstSubmission,
        Instant lastAnalysis,
        Integer reputation,
        List<String> tags,
        String rawJson) {

    /** What the report shows beyond the verdict, read from {@link #rawJson()} (see {@link AnswerFields}). */
    public AnswerFields fields() {
        return AnswerFields.parse(rawJson);
    }

    /** The hashes this file is known by, sha256 first; absent ones are left out. */
    public List<String> aliases() {
        return java.util.stream.Stream.of(sha256, md5, sha1)
                .filter(h -> h != null && !h.isEmpty())
                .toList();
    }
}
