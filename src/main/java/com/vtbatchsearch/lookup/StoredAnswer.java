package com.vtbatchsearch.lookup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * VirusTotal's answer as the cache stores it ({@code files.raw_gzip}): cleaned of control characters
 * (see {@link StoredText}), without white space between tokens, gzipped. A real answer of 20–45 KB
 * takes 2–7 KB so.
 */
public final class StoredAnswer {
    private StoredAnswer() {
    }

    /** The bytes to store for a raw answer; null stays null. */
    public static byte[] pack(String rawJson) {
        String compact = StoredText.compactJson(rawJson);
        if (compact == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(compact.length() / 4 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(compact.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compress an answer", e); // not for an in-memory stream
        }
        return bytes.toByteArray();
    }

    /** The answer as JSON text from stored bytes; null stays null. */
    public static String unpack(byte[] stored) {
        if (stored == null) {
            return null;
        }
        try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(stored))) {
            return new String(gzip.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored answer cannot be read", e);
        }
    }

    /**
     * The answer from a row of {@code files}: its compressed form, or, for a row stored before answers
     * were compressed and not rewritten yet, its text.
     */
    public static String read(byte[] packed, String text) {
        return packed != null ? unpack(packed) : text;
    }
}
