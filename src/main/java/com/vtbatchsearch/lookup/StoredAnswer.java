package com.vtbatchsearch.lookup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.Adler32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * VirusTotal's answer as the cache stores it ({@code files.raw_gzip}): cleaned of control characters
 * (see {@link StoredText}), without white space between tokens, deflated (zlib format, best compression)
 * with a preset dictionary of the answers' generic shape: attribute keys, common values and one empty
 * result per antivirus engine, no file's values. A real answer of 20–45 KB takes 1.4–6.5 KB so, about a
 * fifth less than gzipped.
 *
 * <p>The zlib header names its dictionary by the dictionary's Adler-32, so {@link #unpack} knows which one
 * an answer needs. Answers stored gzipped by earlier releases (they start 0x1f 0x8b) are read as before
 * until the housekeeping rewrites them ({@link LookupRepository#compressStoredAnswers}).
 */
public final class StoredAnswer {
    /**
     * The first dictionary, a resource beside this class. A shipped dictionary must never change, not by a
     * byte, or the answers packed with it can no longer be read: a better dictionary is a new resource with
     * a new number (answer-dictionary-2.txt), added to {@link #DICTIONARIES} and used by {@link #pack}, and
     * every dictionary ever shipped stays in {@link #DICTIONARIES}. Made by {@code bench.AnswerDictionary}
     * (test sources), which documents what it holds; {@code StoredAnswerTest} checks its Adler-32.
     */
    static final String DICTIONARY_1 = "answer-dictionary-1.txt";
    /** The Adler-32 of {@link #DICTIONARY_1}, as the zlib header of an answer packed with it names it. */
    static final int DICTIONARY_1_ID = 0x9719eae5;

    /** Every dictionary shipped, by Adler-32. */
    private static final Map<Integer, byte[]> DICTIONARIES = Map.of(DICTIONARY_1_ID, load(DICTIONARY_1, DICTIONARY_1_ID));
    /** The dictionary new answers are packed with. */
    private static final int PACKING = DICTIONARY_1_ID;

    private StoredAnswer() {
    }

    /** The bytes to store for a raw answer; null stays null. */
    public static byte[] pack(String rawJson) {
        String compact = StoredText.compactJson(rawJson);
        if (compact == null) {
            return null;
        }
        byte[] text = compact.getBytes(StandardCharsets.UTF_8);
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            deflater.setDictionary(DICTIONARIES.get(PACKING));
            deflater.setInput(text);
            deflater.finish();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length / 5 + 64);
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                bytes.write(buffer, 0, deflater.deflate(buffer));
            }
            return bytes.toByteArray();
        } finally {
            deflater.end();
        }
    }

    /**
     * The answer as JSON text from stored bytes; null stays null.
     *
     * @throws UncheckedIOException when the bytes are not a stored answer: neither gzip nor zlib with a
     *     dictionary, a dictionary this release does not have, truncated or corrupt
     */
    public static String unpack(byte[] stored) {
        if (stored == null) {
            return null;
        }
        try {
            if (isGzip(stored)) {
                try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(stored))) {
                    return new String(gzip.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return new String(inflate(stored), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored answer cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * The answer from a row of {@code files}: its compressed form, or, for a row stored before answers
     * were compressed and not rewritten yet, its text.
     */
    public static String read(byte[] packed, String text) {
        return packed != null ? unpack(packed) : text;
    }

    /** True for an answer stored gzipped by an earlier release. */
    static boolean isGzip(byte[] stored) {
        return stored.length >= 2 && (stored[0] & 0xff) == 0x1f && (stored[1] & 0xff) == 0x8b;
    }

    /**
     * True when stored bytes (their first 6 suffice) are in a form this release reads but no longer writes:
     * gzipped, or packed with a dictionary other than the one {@link #pack} uses now. Bytes of a dictionary
     * this release does not have (a newer release's) are not outdated: they are left as they are.
     */
    public static boolean isOutdated(byte[] stored) {
        if (isGzip(stored)) {
            return true;
        }
        Integer id = dictionaryId(stored);
        return id != null && id != PACKING && DICTIONARIES.containsKey(id);
    }

    /** The dictionary id in a zlib header with a preset dictionary (RFC 1950), or null when it is not one. */
    private static Integer dictionaryId(byte[] stored) {
        if (stored.length < 6) {
            return null;
        }
        int cmf = stored[0] & 0xff;
        int flg = stored[1] & 0xff;
        boolean zlib = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
        if (!zlib || (flg & 0x20) == 0) {
            return null;
        }
        return ((stored[2] & 0xff) << 24) | ((stored[3] & 0xff) << 16) | ((stored[4] & 0xff) << 8) | (stored[5] & 0xff);
    }

    private static byte[] inflate(byte[] stored) throws IOException {
        Integer id = dictionaryId(stored);
        if (id == null) {
            throw new ZipException("neither gzip nor zlib with a preset dictionary (" + stored.length
                    + " bytes starting " + String.format("%02x", stored.length > 0 ? stored[0] & 0xff : 0) + ")");
        }
        byte[] dictionary = DICTIONARIES.get(id);
        if (dictionary == null) {
            throw new ZipException(String.format("packed with dictionary %08x, which this release does not have"
                    + " (it has %s); written by a newer release?", id, DICTIONARIES.keySet().stream()
                    .map(known -> String.format("%08x", known)).sorted().toList()));
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(stored);
            ByteArrayOutputStream text = new ByteArrayOutputStream(stored.length * 6);
            byte[] buffer = new byte[16384];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n > 0) {
                    text.write(buffer, 0, n);
                } else if (inflater.needsDictionary()) {
                    inflater.setDictionary(dictionary);
                } else if (inflater.needsInput()) {
                    throw new ZipException("truncated: the compressed data ends before the answer does");
                }
            }
            if (inflater.getRemaining() > 0) {
                throw new ZipException(inflater.getRemaining() + " bytes after the end of the compressed answer");
            }
            return text.toByteArray();
        } catch (DataFormatException e) {
            throw new ZipException("corrupt compressed data (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }

    /** A shipped dictionary, checked against its Adler-32 so a changed file fails at once, not on reading. */
    private static byte[] load(String name, int id) {
        byte[] dictionary;
        try (InputStream in = StoredAnswer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the answer dictionary " + name + " is missing from the classpath");
            }
            dictionary = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("the answer dictionary " + name + " cannot be read", e);
        }
        int actual = adler32(dictionary);
        if (actual != id) {
            throw new IllegalStateException(String.format("the answer dictionary %s has Adler-32 %08x where %08x"
                    + " was shipped: a shipped dictionary must never change", name, actual, id));
        }
        return dictionary;
    }

    static int adler32(byte[] bytes) {
        Adler32 adler = new Adler32();
        adler.update(bytes);
        return (int) adler.getValue();
    }
}
