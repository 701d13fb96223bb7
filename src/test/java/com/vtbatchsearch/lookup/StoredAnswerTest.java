package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.bench.AnswerDictionary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Stored answers: every real answer packs and unpacks to its compact text, smaller than gzipped; answers
 * gzipped by earlier releases still read; bytes of an unknown dictionary, truncated or corrupt fail with a
 * message that says so; and the shipped dictionary is the one the code names, made of no answer's values.
 */
class StoredAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Dictionary 1's Adler-32 as shipped: neither the file nor this figure may ever change. */
    private static final int SHIPPED_DICTIONARY_1 = 0x9719eae5;

    private static List<Path> realAnswers() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/vt-real"))) {
            List<Path> answers = files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
            assertTrue(answers.size() >= 11, "the real answers are there: " + answers);
            return answers;
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) { // as releases before the dictionary stored it
            gzip.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private static byte[] dictionary() throws IOException {
        try (InputStream in = StoredAnswer.class.getResourceAsStream(StoredAnswer.DICTIONARY_1)) {
            return in.readAllBytes();
        }
    }

    private static UncheckedIOException unreadable(byte[] stored) {
        return assertThrows(UncheckedIOException.class, () -> StoredAnswer.unpack(stored));
    }

    @Test
    void everyRealAnswerReadsBackAsItsCompactTextAndTakesLessThanGzipped() throws IOException {
        long gzipped = 0;
        long packed = 0;
        for (Path file : realAnswers()) {
            String raw = Files.readString(file);
            String compact = StoredText.compactJson(raw);
            byte[] stored = StoredAnswer.pack(raw);
            assertEquals(compact, StoredAnswer.unpack(stored), file + " reads back exactly");
            assertEquals(0x78, stored[0] & 0xff, "zlib, 32 KB window");
            assertEquals(0x20, stored[1] & 0x20, "with a preset dictionary");
            assertEquals(StoredAnswer.DICTIONARY_1_ID, java.nio.ByteBuffer.wrap(stored, 2, 4).getInt());
            assertFalse(StoredAnswer.isOutdated(stored));
            gzipped += gzip(compact).length;
            packed += stored.length;
            if (file.getFileName().toString().startsWith("file-") && !file.toString().contains("partial")) {
                assertTrue(stored.length < gzip(compact).length, file + ": " + stored.length + " bytes, gzipped "
                        + gzip(compact).length);
            }
        }
        assertTrue(packed < gzipped * 0.85, "all together " + packed + " bytes, gzipped " + gzipped);
    }

    @Test
    void answersGzippedByEarlierReleasesStillRead() throws IOException {
        for (Path file : realAnswers()) {
            String compact = StoredText.compactJson(Files.readString(file));
            byte[] old = gzip(compact);
            assertEquals(compact, StoredAnswer.unpack(old), file.toString());
            assertEquals(compact, StoredAnswer.read(old, "ignored"));
            assertTrue(StoredAnswer.isOutdated(old), "rewritten by the housekeeping");
        }
    }

    @Test
    void nullAndTextRowsAreReadAsBefore() {
        assertNull(StoredAnswer.pack(null));
        assertNull(StoredAnswer.unpack(null));
        assertEquals("{\"a\":1}", StoredAnswer.read(null, "{\"a\":1}"));
        assertEquals("not JSON", StoredAnswer.unpack(StoredAnswer.pack("not JSON")));
    }

    @Test
    void anAnswerPackedWithAnUnknownDictionaryFailsNamingIt() throws IOException {
        byte[] stored = StoredAnswer.pack(Files.readString(realAnswers().get(0)));
        byte[] other = stored.clone();
        other[2] = 0x12;
        other[3] = 0x34;
        other[4] = 0x56;
        other[5] = 0x78;
        UncheckedIOException e = unreadable(other);
        assertTrue(e.getMessage().contains("dictionary 12345678, which this release does not have"), e.getMessage());
        assertTrue(e.getMessage().contains("%08x".formatted(StoredAnswer.DICTIONARY_1_ID)), e.getMessage());
        assertFalse(StoredAnswer.isOutdated(other), "left as it is: a newer release wrote it");
    }

    @Test
    void corruptTruncatedOrForeignBytesFailClearly() throws IOException {
        String raw = Files.readString(realAnswers().get(0));
        byte[] stored = StoredAnswer.pack(raw);

        byte[] flipped = stored.clone();
        for (int n = 40; n < 60; n++) {
            flipped[n] ^= 0x5a;
        }
        UncheckedIOException corrupt = unreadable(flipped);
        assertTrue(corrupt.getMessage().startsWith("a stored answer cannot be read: "), corrupt.getMessage());
        assertTrue(corrupt.getMessage().contains("corrupt") || corrupt.getMessage().contains("truncated"),
                corrupt.getMessage());

        byte[] checksum = stored.clone();
        checksum[checksum.length - 1] ^= 1; // the Adler-32 of the text at the end
        assertTrue(unreadable(checksum).getMessage().contains("corrupt"));

        assertTrue(unreadable(Arrays.copyOf(stored, stored.length / 2)).getMessage().contains("truncated"));
        byte[] longer = Arrays.copyOf(stored, stored.length + 3);
        assertTrue(unreadable(longer).getMessage().contains("3 bytes after the end"));

        assertTrue(unreadable("{\"data\":{}}".getBytes(StandardCharsets.UTF_8)).getMessage()
                .contains("neither gzip nor zlib with a preset dictionary"));
        assertTrue(unreadable(new byte[0]).getMessage().contains("neither gzip nor zlib"));

        Deflater plain = new Deflater(); // zlib without a dictionary: not what this app writes
        plain.setInput("{}".getBytes(StandardCharsets.UTF_8));
        plain.finish();
        byte[] buffer = new byte[64];
        byte[] withoutDictionary = Arrays.copyOf(buffer, plain.deflate(buffer));
        plain.end();
        assertTrue(unreadable(withoutDictionary).getMessage().contains("neither gzip nor zlib with a preset dictionary"));

        byte[] badGzip = gzip(raw);
        Arrays.fill(badGzip, 12, 40, (byte) 0);
        assertTrue(unreadable(badGzip).getMessage().startsWith("a stored answer cannot be read"));
    }

    @Test
    void theShippedDictionaryIsTheOneTheCodeNamesAndNeverChanges() throws IOException {
        byte[] shipped = dictionary();
        assertEquals(SHIPPED_DICTIONARY_1, StoredAnswer.DICTIONARY_1_ID, "a shipped dictionary's id never changes");
        assertEquals(StoredAnswer.DICTIONARY_1_ID, StoredAnswer.adler32(shipped),
                "answer-dictionary-1.txt changed: a shipped dictionary must never change; add a new one instead");
        assertArrayEquals(shipped, AnswerDictionary.dictionary1(), "the generator documents the shipped dictionary");
        assertTrue(shipped.length <= 32 * 1024 - 262, "within deflate's reach: " + shipped.length);
    }

    /** No value particular to a file is in the dictionary: the figures measured on real answers are honest. */
    @Test
    void theDictionaryHoldsNoAnswersValues() throws IOException {
        String dictionary = new String(dictionary(), StandardCharsets.UTF_8);
        assertFalse(Pattern.compile("\\d{4}").matcher(dictionary).find(), "no dates, sizes or versions");
        assertFalse(Pattern.compile("[0-9a-f]{12,}").matcher(dictionary).find(), "no hashes");
        List<String> values = new ArrayList<>();
        for (Path file : realAnswers()) {
            JsonNode answer = JSON.readTree(Files.readString(file));
            JsonNode attributes = answer.path("data").has("attributes") ? answer.path("data").path("attributes")
                    : answer.path("attributes");
            for (String key : List.of("names", "meaningful_name", "md5", "sha1", "sha256", "ssdeep", "tlsh", "vhash",
                    "authentihash", "magic", "crowdsourced_yara_results", "sigma_analysis_results", "pe_info",
                    "popular_threat_classification", "known_distributors", "crowdsourced_ai_results")) {
                collect(attributes.path(key), values);
            }
            for (Map.Entry<String, JsonNode> result : attributes.path("last_analysis_results").properties()) {
                collect(result.getValue().path("engine_version"), values);
                collect(result.getValue().path("engine_update"), values);
                collect(result.getValue().path("result"), values);
            }
        }
        assertTrue(values.size() > 500, "values looked for: " + values.size());
        // The name of VirusTotal's Sigma rule set is vocabulary: the key of sigma_analysis_summary as well.
        values.removeIf("Sigma Integrated Rule Set (GitHub)"::equals);
        for (String value : values) {
            assertFalse(value.length() >= 8 && dictionary.contains(value), "a file's value in the dictionary: " + value);
        }
    }

    private static void collect(JsonNode node, List<String> values) {
        if (node.isTextual()) {
            values.add(node.asText());
        } else if (node.isNumber()) {
            values.add(node.asText());
        }
        node.forEach(child -> collect(child, values));
    }
}
