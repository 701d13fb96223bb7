package com.vtbatchsearch.batch;

/**
 * How far a batch has come: its distinct hashes by lookup state, and how many VirusTotal flags.
 * Getter-style accessors so JSP EL and JSON see the same names.
 */
public final class BatchCounts {
    private final long found;
    private final int unique;
    private final int done;
    private final int pending;
    private final int notFound;
    private final int errors;
    private final int malicious;
    private final int suspicious;
    private final int clean;
    private final int refreshing;
    private final Integer gap;

    public BatchCounts(long found, int unique, int done, int pending, int notFound, int errors,
            int malicious, int suspicious, int clean) {
        this(found, unique, done, pending, notFound, errors, malicious, suspicious, clean, 0);
    }

    public BatchCounts(long found, int unique, int done, int pending, int notFound, int errors,
            int malicious, int suspicious, int clean, int refreshing) {
        this.found = found;
        this.unique = unique;
        this.done = done;
        this.pending = pending;
        this.notFound = notFound;
        this.errors = errors;
        this.malicious = malicious;
        this.suspicious = suspicious;
        this.clean = clean;
        this.refreshing = refreshing;
        this.gap = null;
    }

    private BatchCounts(BatchCounts counts, Integer gap) {
        this.found = counts.found;
        this.unique = counts.unique;
        this.done = counts.done;
        this.pending = counts.pending;
        this.notFound = counts.notFound;
        this.errors = counts.errors;
        this.malicious = counts.malicious;
        this.suspicious = counts.suspicious;
        this.clean = counts.clean;
        this.refreshing = counts.refreshing;
        this.gap = gap;
    }

    /** These counts with the number of files that count as malicious and that none of the chosen engines flags. */
    public BatchCounts withGap(Integer gap) {
        return new BatchCounts(this, gap);
    }

    public long getFound() {
        return found;
    }

    public int getUnique() {
        return unique;
    }

    /** Hashes with a final answer: found, not on VirusTotal, or given up on with an error. */
    public int getDone() {
        return done;
    }

    public int getPending() {
        return pending;
    }

    public int getNotFound() {
        return notFound;
    }

    public int getErrors() {
        return errors;
    }

    public int getMalicious() {
        return malicious;
    }

    public int getSuspicious() {
        return suspicious;
    }

    /** Found on VirusTotal with no malicious and no suspicious verdict. */
    public int getClean() {
        return clean;
    }

    /** Stale answers being looked up again; counted in their verdicts, not in {@link #getPending()}. */
    public int getRefreshing() {
        return refreshing;
    }

    /**
     * Files that count as malicious and that none of the chosen engines (MY_ENGINES, or the report's
     * {@code engines=...}) flags; null when no engine is chosen.
     */
    public Integer getGap() {
        return gap;
    }

    public int getPercentDone() {
        return unique == 0 ? 100 : (int) Math.floor(100.0 * done / unique);
    }
}
