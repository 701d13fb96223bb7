package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.Corpus;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
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

    // 0x + 40 hex digits is an Ethereum address; other lengths after 0x keep their meaning.

    @ParameterizedTest
    @ValueSource(strings = {"0x%s", "0X%s", "send to 0x%s now", "\"0x%s\",", "0\u200Bx%s", "%%3A0x%s"})
    void fortyHexDigitsAfter0xAreAnEthereumAddressNotASha1(String template) {
        ExtractedHashes hashes = extract(template.formatted(SHA1));

        assertEquals(0, hashes.unique());
        assertEquals(0, hashes.found());
    }

    @ParameterizedTest
    @ValueSource(strings = {"x%s", "10x%s", "0 x%s", "0y%s", "0x %s", "0x-%s"})
    void fortyHexDigitsWithoutA0xRightBeforeThemAreASha1(String template) {
        ExtractedHashes hashes = extract(template.formatted(SHA1));

        assertEquals(List.of(SHA1), hashes.hashes());
    }

    @Test
    void thirtyTwoAndSixtyFourHexDigitsAfter0xAreStillHashes() {
        ExtractedHashes hashes = extract("0x" + MD5 + " 0x" + SHA256 + " 0x" + SHA1);

        assertEquals(List.of(MD5, SHA256), hashes.hashes());
        assertEquals(2, hashes.found());
    }

    // A percent escape glued to a hash is not part of it.

    @ParameterizedTest
    @ValueSource(strings = {"?filehash=sha256%%3A%s", "sha256%%3a%s&x=1", "q%%3D%s", "path%%2F%s%%2Fx", "a%%20%s",
        "sha256%%253A%s"})
    void aPercentEscapeBeforeAHashIsASeparator(String template) {
        ExtractedHashes hashes = extract(template.formatted(SHA256));

        assertEquals(List.of(SHA256), hashes.hashes());
        assertEquals(1, hashes.found());
    }

    @Test
    void aPlainSixtySixDigitRunStillYieldsNothing() {
        ExtractedHashes hashes = extract("sha256:3A" + SHA256 + " and 3a" + SHA256);

        assertEquals(0, hashes.unique());
    }

    @Test
    void anEscapeOfAHexDigitStaysPartOfTheRun() {
        // %41 is "A": the 2 + 32 digits are one 34-digit run, as before
        assertEquals(0, extract("x%41" + MD5).unique());
        assertEquals(List.of("41" + MD5.substring(2)), extract("x%41" + MD5.substring(2)).hashes());
    }

    @Test
    void thirtyDigitsAfterAnEscapeAreNoLongerTakenForAnMd5() {
        assertEquals(0, extract("sha256%3A" + MD5.substring(2)).unique());
    }

    // Zero-width characters and soft hyphens inside a hash are ignored.

    @ParameterizedTest
    @ValueSource(chars = {'\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD'})
    void anInvisibleCharacterInsideAHashJoinsIt(char invisible) {
        String text = "hash: " + SHA256.substring(0, 20) + invisible + SHA256.substring(20, 50) + invisible
                + invisible + SHA256.substring(50) + " end";

        ExtractedHashes hashes = extract(text);

        assertEquals(List.of(SHA256), hashes.hashes());
        assertEquals(1, hashes.found());
    }

    @Test
    void anInvisibleCharacterBetweenTwoHashesKeepsThemApart() {
        ExtractedHashes hashes = extract(MD5 + "\u200B" + OTHER_MD5 + "\u00AD" + SHA1);

        assertEquals(List.of(MD5, OTHER_MD5, SHA1), hashes.hashes());
    }

    @Test
    void invisibleCharactersAroundAHashChangeNothing() {
        ExtractedHashes hashes = extract("\u200B" + SHA1 + "\u200B," + "\uFEFF" + MD5 + "\u00AD\n");

        assertEquals(List.of(SHA1, MD5), hashes.hashes());
    }

    @Test
    void piecesThatJoinIntoNoHashStayWhatTheyWere() {
        // 32 + 33 digits: 65 joined is no hash, so the md5 before the break is found as it was before
        ExtractedHashes hashes = extract(MD5 + "\u200B" + hexRun(33));

        assertEquals(List.of(MD5), hashes.hashes());
    }

    @Test
    void aHashSplitByAnInvisibleCharacterIsFoundWhereverTheReadBufferEnds() throws IOException {
        String text = " ".repeat(8_192 - 10) + SHA256.substring(0, 9) + "\u200B" + SHA256.substring(9) + "\n";

        assertEquals(List.of(SHA256), new HashExtractor(10).read(new StringReader(text)).result().hashes());
    }

    // The line each hash came from.

    @Test
    void eachHashKeepsTheLineOfItsFirstOccurrenceWithTheHashMarked() {
        ExtractedHashes hashes = extract("# list\r\n" + MD5.toUpperCase() + ";Emotet dropper\r\n"
                + "  a," + SHA1 + ",b,\t" + SHA256 + "  \r\n" + MD5 + ";seen again\n");

        assertEquals("\u00ab" + MD5 + "\u00bb;Emotet dropper", hashes.context(MD5));
        assertEquals("a,\u00ab" + SHA1 + "\u00bb,b, " + SHA256, hashes.context(SHA1));
        assertEquals("a," + SHA1 + ",b, \u00ab" + SHA256 + "\u00bb", hashes.context(SHA256));
    }

    @Test
    void aLongLineKeepsTwoHundredCharactersAroundTheHash() {
        String text = "{\"a\": \"" + "x".repeat(5_000) + " " + SHA256 + " " + "y".repeat(5_000) + "\"}";

        String context = extract(text).context(SHA256);

        assertEquals(HashExtractor.CONTEXT_LENGTH, context.length());
        String marked = "\u00ab" + SHA256 + "\u00bb";
        int left = (HashExtractor.CONTEXT_LENGTH - marked.length()) / 2;
        assertEquals("\u2026" + "x".repeat(left - 2) + " " + marked + " " + "y".repeat(
                HashExtractor.CONTEXT_LENGTH - marked.length() - left - 2) + "\u2026", context);
    }

    @Test
    void aSingleLineJsonFileKeepsTwoHundredCharactersAroundEachHashReadBufferByBuffer() throws IOException {
        StringBuilder json = new StringBuilder("{\"type\":\"bundle\",\"objects\":[");
        List<String> hashes = new java.util.ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            String sha256 = BatchRepositoryTest.hash(HashType.SHA256, "object " + i);
            hashes.add(sha256);
            json.append("{\"type\":\"indicator\",\"id\":\"indicator--").append(i)
                    .append("\",\"pattern\":\"[file:hashes.'SHA-256' = '").append(sha256)
                    .append("']\",\"description\":\"sample ").append(i).append("\"},");
        }
        json.append("{}]}");
        assertTrue(json.length() > 500_000, "one line of " + json.length() + " characters");

        ExtractedHashes extracted = new HashExtractor(10_000).read(new StringReader(json.toString())).result();

        assertEquals(hashes, extracted.hashes());
        for (int i = 0; i < hashes.size(); i++) {
            String context = extracted.context(hashes.get(i));
            assertTrue(context.length() <= HashExtractor.CONTEXT_LENGTH, context);
            assertTrue(context.contains("\"pattern\":\"[file:hashes.'SHA-256' = '\u00ab" + hashes.get(i)
                    + "\u00bb']\",\"description\":\"sample " + i + "\"}"), context);
        }
        String middle = extracted.context(hashes.get(1_500));
        assertEquals(HashExtractor.CONTEXT_LENGTH, middle.length());
        assertTrue(middle.startsWith("\u2026") && middle.endsWith("\u2026"), "both cut sides end in an ellipsis: " + middle);
    }

    @Test
    void aShortSideLeavesItsRoomToTheOther() {
        String text = "md5: " + MD5 + " " + "z".repeat(1_000);

        String context = extract(text).context(MD5);

        assertEquals(HashExtractor.CONTEXT_LENGTH, context.length());
        assertTrue(context.startsWith("md5: \u00ab" + MD5 + "\u00bb zzz"), context);
    }

    @Test
    void invisibleAndControlCharactersLeaveTheContext() {
        ExtractedHashes hashes = extract("a\u0007b " + SHA1.substring(0, 5) + "\u200B" + SHA1.substring(5) + " c\u00ADd");

        assertEquals("a b \u00ab" + SHA1 + "\u00bb cd", hashes.context(SHA1));
    }

    @Test
    void aCutNeverLeavesHalfAnEmoji() {
        String text = "\uD83D\uDE00".repeat(300) + " " + MD5 + " " + "\uD83D\uDE00".repeat(300);

        String context = extract(text).context(MD5);

        for (int i = 0; i < context.length(); i++) {
            char c = context.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertTrue(Character.isLowSurrogate(context.charAt(++i)), context);
            } else {
                assertTrue(!Character.isSurrogate(c), "lone surrogate at " + i + ": " + context);
            }
        }
        assertTrue(context.contains(" \u00ab" + MD5 + "\u00bb \uD83D\uDE00"), context);
    }

    @Test
    void theSignatureBaseHashListKeepsEachHashsComment() throws IOException {
        ExtractedHashes hashes;
        try (Reader reader = new InputStreamReader(Corpus.open(Corpus.HASH_IOCS), StandardCharsets.UTF_8)) {
            hashes = new HashExtractor(100_000).read(reader).result();
        }

        assertEquals(3057, hashes.unique());
        assertEquals(hashes.unique(), hashes.contexts().size());
        hashes.contexts().forEach((hash, context) -> {
            assertTrue(context.contains("\u00ab" + hash + "\u00bb"), context);
            assertTrue(context.length() <= HashExtractor.CONTEXT_LENGTH, context);
        });
        String hash = "ce583821191345274cd954b2db7da9742c239fe413fc17dcb97ffdd7b51cb072";
        assertEquals("\u00ab" + hash + "\u00bb;Dark Caracal - MS Windows HtmlHelp Data", hashes.context(hash));
    }
}
