package com.vtbatchsearch.export;

import java.util.Optional;

/** The formats a batch exports to besides CSV and JSON, with the parameter value that names each. */
public enum ExportFormat {
    /** Block list: one lower-case SHA-256 a line. */
    SHA256("sha256", "sha256.txt", "text/plain"),
    /** Block list: one lower-case MD5 a line. */
    MD5("md5", "md5.txt", "text/plain"),
    /** Block list: one lower-case SHA-1 a line. */
    SHA1("sha1", "sha1.txt", "text/plain"),
    /** A MISP event in MISP's core format. */
    MISP("misp", "misp.json", "application/json"),
    /** A STIX 2.1 bundle. */
    STIX("stix", "stix.json", "application/stix+json;version=2.1");

    private final String key;
    private final String extension;
    private final String contentType;

    ExportFormat(String key, String extension, String contentType) {
        this.key = key;
        this.extension = extension;
        this.contentType = contentType;
    }

    public String key() {
        return key;
    }

    /** The end of the download's file name, e.g. {@code stix.json}. */
    public String extension() {
        return extension;
    }

    public String contentType() {
        return contentType;
    }

    public boolean isBlockList() {
        return this == SHA256 || this == MD5 || this == SHA1;
    }

    public static Optional<ExportFormat> parse(String value) {
        for (ExportFormat f : values()) {
            if (f.key.equals(value)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
