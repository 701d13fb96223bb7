package com.vtbatchsearch.web;

/** The upload limits, as the upload form states them (getter-style for JSP EL). */
public final class UploadLimits {
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
}
