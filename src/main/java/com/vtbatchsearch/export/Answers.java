package com.vtbatchsearch.export;

import com.vtbatchsearch.batch.BatchItem;

/** What the exports read from an item beyond its verdict. */
final class Answers {
    private Answers() {
    }

    /** The file's malware family, as VirusTotal names it; null when unknown. */
    static String family(BatchItem item) {
        return null;
    }
}
