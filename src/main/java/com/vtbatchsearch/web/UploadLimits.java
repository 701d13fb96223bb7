package com.vtbatchsearch.web;

/** The upload limits, as the upload form states them (getter-style for JSP EL). */
public final class UploadLimits {
    /** How many times the size limit the rest of a rejected body may be read to deliver the answer. */
    private static final int DISCARD_FACTOR = 4;
    private final int maxUploadMb;
    private final int maxHashesPerBatch;

    public UploadLimits(int maxUploadMb, int maxHashesPerBatch) {
        this.maxUploadMb = maxUploadMb;
        this.maxHashesPerBatch = maxHashesPerBatch;
    }

    public int getMaxUploadMb() {
        return maxUploadMb;
    }

    public int getMaxHashesPerBatch() {
        return maxHashesPerBatch;
    }

    long maxUploadBytes() {
        return maxUploadMb * 1024L * 1024L;
    }

    /** Largest body, in all, that is read to its end after a rejection (see {@link UploadBody}). */
    long maxDiscardBytes() {
        return DISCARD_FACTOR * maxUploadBytes();
    }
}
