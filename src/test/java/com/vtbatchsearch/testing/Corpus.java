package com.vtbatchsearch.testing;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The real IOC files shipped with the tests under {@code src/test/resources/corpus/} (their source and
 * licence are in the README there), read from the test classpath so the tests need nothing outside the
 * repository.
 */
public final class Corpus {
    public static final String HASH_IOCS = "signature-base-hash-iocs.txt";
    public static final String YARA_RULES = "signature-base-yara-rules.txt";

    private Corpus() {
    }

    /** Opens one corpus file; fails loudly when it is missing rather than letting a test pass on nothing. */
    public static InputStream open(String name) throws IOException {
        InputStream in = Corpus.class.getResourceAsStream("/corpus/" + name);
        if (in == null) {
            throw new FileNotFoundException("corpus file missing from the test classpath: corpus/" + name);
        }
        return in;
    }

    public static byte[] read(String name) throws IOException {
        try (InputStream in = open(name)) {
            return in.readAllBytes();
        }
    }
}
