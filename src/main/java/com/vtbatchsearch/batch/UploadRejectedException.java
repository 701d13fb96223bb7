package com.vtbatchsearch.batch;

/** An upload that cannot become a batch; carries the HTTP status that says why. Nothing was stored. */
public class UploadRejectedException extends RuntimeException {
    private final int status;

    public UploadRejectedException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static UploadRejectedException tooLarge(long maxBytes) {
        return new UploadRejectedException(413, "The upload is larger than the limit of "
                + (maxBytes / (1024 * 1024)) + " MB.");
    }

    public static UploadRejectedException binary() {
        return new UploadRejectedException(415,
                "The file looks binary (it contains NUL bytes). Upload text: a hash list, a report, YARA rules, a CSV export.");
    }

    public static UploadRejectedException noHashes() {
        return new UploadRejectedException(422, "No hash found. Looked for MD5 (32 hex digits), SHA-1 (40) and "
                + "SHA-256 (64) standing on their own, not part of a longer hex run.");
    }

    public static UploadRejectedException tooManyHashes(int max) {
        return new UploadRejectedException(413, "The upload holds more than " + max
                + " distinct hashes, the limit for one batch. Split it into smaller files.");
    }

    public static UploadRejectedException cutOff() {
        return new UploadRejectedException(408, "The upload stopped before its end (too slow or cut off); "
                + "nothing was stored. Send it again.");
    }

    public static UploadRejectedException noInput() {
        return new UploadRejectedException(400, "Nothing was uploaded: choose a file or paste text.");
    }
}
