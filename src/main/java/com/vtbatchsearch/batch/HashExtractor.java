package com.vtbatchsearch.batch;

import java.io.IOException;
import java.io.Reader;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Finds MD5, SHA-1 and SHA-256 hashes in text: a run of exactly 32, 40 or 64 hex digits with no hex
 * digit directly before or after it. Reads the text once, a buffer at a time, so memory does not grow
 * with the size of the input, only with the number of distinct hashes. A run may continue across
 * several {@link #feed} calls, so text from several sources is fed one after the other with
 * {@link #endOfSource()} between them. A NUL character, the mark of a binary file, stops the
 * extraction with a 415 rejection.
 */
public final class HashExtractor {
    private static final int LONGEST = HashType.SHA256.length();

    private final int maxDistinct;
    private final Map<String, HashType> distinct = new LinkedHashMap<>();
    private final char[] run = new char[LONGEST];
    private int runLength;
    private long found;

    /** @param maxDistinct more distinct hashes than this stops the extraction with a 413 rejection */
    public HashExtractor(int maxDistinct) {
        this.maxDistinct = maxDistinct;
    }

    /** Reads the whole of {@code reader}; the reader is not closed. */
    public HashExtractor read(Reader reader) throws IOException {
        char[] buffer = new char[8192];
        int n;
        while ((n = reader.read(buffer)) != -1) {
            feed(buffer, 0, n);
        }
        endOfSource();
        return this;
    }

    public void feed(char[] chars, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            char c = chars[i];
            int lower = toLowerHex(c);
            if (lower >= 0) {
                if (runLength < LONGEST) {
                    run[runLength] = (char) lower;
                }
                runLength++;
            } else {
                if (c == 0) {
                    throw UploadRejectedException.binary();
                }
                endRun();
            }
        }
    }

    /** Ends the current run: text that follows another source never continues its hash. */
    public void endOfSource() {
        endRun();
    }

    public ExtractedHashes result() {
        endRun();
        return new ExtractedHashes(Collections.unmodifiableMap(new LinkedHashMap<>(distinct)), found);
    }

    private void endRun() {
        if (runLength > 0) {
            HashType.ofLength(runLength).ifPresent(type -> {
                found++;
                String hash = new String(run, 0, runLength);
                if (distinct.putIfAbsent(hash, type) == null && distinct.size() > maxDistinct) {
                    throw UploadRejectedException.tooManyHashes(maxDistinct);
                }
            });
            runLength = 0;
        }
    }

    private static int toLowerHex(char c) {
        if (c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
            return c;
        }
        if (c >= 'A' && c <= 'F') {
            return c + ('a' - 'A');
        }
        return -1;
    }
}
