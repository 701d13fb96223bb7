package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashExtractorTest {
    // md5, sha1 and sha256 of the empty string
    static final String MD5 = "d41d8cd98f00b204e9800998ecf8427e";
    static final String SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    static final String SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final String OTHER_MD5 = "0cc175b9c0f1b6a831c399e269772661";

    /** Extracts from each text as a separate source, each fed in one piece. */
    private static ExtractedHashes extract(String... sources) {
        HashExtractor extractor = new HashExtractor(1_000);
        for (String source : sources) {
            char[] chars = source.toCharArray();
            extractor.feed(chars, 0, chars.length);
            extractor.endOfSource();
        }
        return extractor.result();
    }

    private static String hexRun(int length) {
        StringBuilder run = new StringBuilder();
        while (run.length() < length) {
            run.append("0123456789abcdef");
        }
        return run.substring(0, length);
    }

    @Test
    void textThatIsExactlyOneHashYieldsIt() {
        ExtractedHashes hashes = extract(SHA256);

        assertEquals(Map.of(SHA256, HashType.SHA256), hashes.distinct());
        assertEquals(1, hashes.found());
    }

    @Test
    void hashesAtTheVeryStartAndEndOfTheTextAreFound() {
        ExtractedHashes hashes = extract(MD5 + " sits before " + SHA1 + " and then " + SHA256);

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void eachLengthMapsToItsType() {
        ExtractedHashes hashes = extract(MD5 + "\n" + SHA1 + "\n" + SHA256 + "\n");

        assertEquals(HashType.MD5, hashes.distinct().get(MD5));
        assertEquals(HashType.SHA1, hashes.distinct().get(SHA1));
        assertEquals(HashType.SHA256, hashes.distinct().get(SHA256));
        assertEquals(1, hashes.count(HashType.MD5));
        assertEquals(1, hashes.count(HashType.SHA1));
        assertEquals(1, hashes.count(HashType.SHA256));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "hash1 = \"%s\"",            // YARA rule metadata
        "%s;Emotet dropper",          // hash-iocs HASH;COMMENT line
        "a,%s,b",                     // CSV
        "'%s'",                       // single quotes
        "(%s)",                       // brackets
        "[%s]",
        "sha256:%s.",
        "<td>%s</td>",
        "_%s_",                       // underscores are not hex
        "g%sz",                       // neither are the letters g-z
        "0x%s",                       // "0" then "x": the run starts after the x
        "file-%s-x86",
        "é%sü",                       // non-ASCII letters are not hex
        "\t%s\t",
    })
    void aNonHexCharacterOnEitherSideBoundsTheHash(String template) {
        ExtractedHashes hashes = extract(template.formatted(SHA256));

        assertEquals(List.of(SHA256), hashes.hashes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a%s", "%s0", "F%s", "%sB"})
    void aHexDigitDirectlyBeforeOrAfterMakesItNoHash(String template) {
        ExtractedHashes hashes = extract(template.formatted(MD5));

        assertEquals(0, hashes.unique());
        assertEquals(0, hashes.found());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 16, 31, 33, 39, 41, 63, 65, 96, 128, 200})
    void aHexRunOfAnyOtherLengthYieldsNothing(int length) {
        ExtractedHashes hashes = extract("before " + hexRun(length) + " after");

        assertEquals(0, hashes.unique());
        assertEquals(0, hashes.found());
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 40, 64})
    void aHexRunOfAHashLengthIsAHash(int length) {
        ExtractedHashes hashes = extract("before " + hexRun(length) + " after");

        assertEquals(List.of(hexRun(length)), hashes.hashes());
    }

    @Test
    void upperCaseHashesAreStoredLowerCase() {
        ExtractedHashes hashes = extract(SHA256.toUpperCase());

        assertEquals(List.of(SHA256), hashes.hashes());
    }

    @Test
    void upperAndLowerCaseOfOneHashAreTheSameHash() {
        ExtractedHashes hashes = extract(MD5.toUpperCase() + "\n" + MD5 + "\n");

        assertEquals(List.of(MD5), hashes.hashes());
        assertEquals(2, hashes.found());
    }

    @Test
    void crlfLineEndingsSeparateHashes() {
        ExtractedHashes hashes = extract(MD5 + "\r\n" + SHA1 + "\r\n" + SHA256 + "\r\n");

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void duplicatesCountInFoundButAreListedOnceInOrderOfFirstAppearance() {
        ExtractedHashes hashes = extract(SHA1 + "\n" + MD5 + "\n" + SHA1 + "\n" + OTHER_MD5 + "\n" + MD5 + "\n" + SHA1);

        assertEquals(6, hashes.found());
        assertEquals(3, hashes.unique());
        assertEquals(List.of(SHA1, MD5, OTHER_MD5), hashes.hashes());
    }

    @Test
    void aRunSplitAcrossTwoFeedCallsIsOneHash() {
        HashExtractor extractor = new HashExtractor(10);
        char[] text = ("x " + SHA256 + " y").toCharArray();

        extractor.feed(text, 0, 20);
        extractor.feed(text, 20, text.length - 20);

        assertEquals(List.of(SHA256), extractor.result().hashes());
    }

    @Test
    void twoHalvesFedWithoutEndOfSourceJoinIntoOneRun() {
        HashExtractor extractor = new HashExtractor(10);
        extractor.feed(MD5.toCharArray(), 0, 32);
        extractor.feed(OTHER_MD5.toCharArray(), 0, 32);

        assertEquals(List.of(MD5 + OTHER_MD5), extractor.result().hashes());
    }

    @Test
    void endOfSourceEndsTheRunSoSourcesNeverJoin() {
        ExtractedHashes hashes = extract(MD5, OTHER_MD5);

        assertEquals(List.of(MD5, OTHER_MD5), hashes.hashes());
    }

    @Test
    void twoPartialRunsInSeparateSourcesAreNoHash() {
        ExtractedHashes hashes = extract("tail " + MD5.substring(0, 16), MD5.substring(16) + " head");

        assertEquals(0, hashes.unique());
    }

    @Test
    void aHashAcrossTheReadBufferBoundaryIsFound() throws IOException {
        String text = " ".repeat(8_192 - 10) + SHA256 + "\n";

        ExtractedHashes hashes = new HashExtractor(10).read(new StringReader(text)).result();

        assertEquals(List.of(SHA256), hashes.hashes());
    }

    @Test
    void aNulCharacterRejectsTheTextAsBinaryWith415() {
        HashExtractor extractor = new HashExtractor(10);
        char[] text = (MD5 + "\n\0\n" + SHA1).toCharArray();

        UploadRejectedException e = assertThrows(UploadRejectedException.class,
                () -> extractor.feed(text, 0, text.length));
        assertEquals(415, e.status());
    }

    @Test
    void moreDistinctHashesThanTheLimitIsRejectedWith413() {
        HashExtractor extractor = new HashExtractor(2);
        char[] text = (MD5 + "\n" + SHA1 + "\n" + SHA256 + "\n").toCharArray();

        UploadRejectedException e = assertThrows(UploadRejectedException.class, () -> {
            extractor.feed(text, 0, text.length);
            extractor.result();
        });
        assertEquals(413, e.status());
        assertTrue(e.getMessage().contains("2"), e.getMessage());
    }

    @Test
    void duplicatesDoNotCountAgainstTheLimit() {
        HashExtractor extractor = new HashExtractor(2);
        char[] text = (MD5 + "\n" + SHA1 + "\n" + MD5 + "\n" + SHA1 + "\n" + MD5).toCharArray();

        extractor.feed(text, 0, text.length);
        ExtractedHashes hashes = extractor.result();

        assertEquals(2, hashes.unique());
        assertEquals(5, hashes.found());
    }

    @Test
    void textWithoutHashesYieldsAnEmptyResult() {
        ExtractedHashes hashes = extract("no hashes here, just deadbeef and cafebabe");

        assertEquals(0, hashes.unique());
        assertEquals(0, hashes.found());
    }
}
