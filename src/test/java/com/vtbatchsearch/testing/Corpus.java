package com.vtbatchsearch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real IOC files in ../shared/corpus beside the checkout. */
public final class Corpus {
    public static final Path DIR = Path.of("..", "shared", "corpus");
    public static final Path HASH_IOCS = DIR.resolve("signature-base-hash-iocs.txt");
    public static final Path YARA_RULES = DIR.resolve("signature-base-yara-rules.txt");

    private Corpus() {
    }

    public static byte[] read(Path file) throws IOException {
        return Files.readAllBytes(file);
    }
}
