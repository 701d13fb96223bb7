package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Property tests of {@link HashExtractor} against a plain reference implementation of the README's
 * rule: every maximal run of hex digits whose length is exactly 32, 40 or 64 is a hash.
 */
class HashExtractorPropertiesTest {

    /** The rule, written as plainly as possible: scan maximal hex runs and keep those of a hash's length. */
    static Map<String, HashType> reference(String text, long[] found) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        int i = 0;
        while (i < text.length()) {
            if (Character.digit(text.charAt(i), 16) >= 0 && text.charAt(i) < 128) {
                int start = i;
                while (i < text.length() && text.charAt(i) < 128 && Character.digit(text.charAt(i), 16) >= 0) {
                    i++;
                }
                String run = text.substring(start, i).toLowerCase(Locale.ROOT);
                HashType type = switch (run.length()) {
                    case 32 -> HashType.MD5;
                    case 40 -> HashType.SHA1;
                    case 64 -> HashType.SHA256;
                    default -> null;
                };
                if (type != null) {
                    found[0]++;
                    distinct.putIfAbsent(run, type);
                }
            } else {
                i++;
            }
        }
        return distinct;
    }

    @Provide
    Arbitrary<String> hashyText() {
        Arbitrary<String> hexRun = Arbitraries.integers().between(1, 70)
                .flatMap(n -> Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofLength(n));
        Arbitrary<String> nearHash = Arbitraries.of(31, 32, 33, 39, 40, 41, 63, 64, 65)
                .flatMap(n -> Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofLength(n));
        Arbitrary<String> separator = Arbitraries.oneOf(
                Arbitraries.of(" ", "\n", "\r\n", "\t", ",", ";", ":", "=", "\"", "/", "-", "_", "g", "G", "x",
                        "z", "é", "ß", "\u00a0", "\u0660", "ａ", "０", "\uFFFD", "😀", "\u2028"),
                Arbitraries.strings().withCharRange('\u0001', '\uFFFF').ofMinLength(1).ofMaxLength(4));
        Arbitrary<String> token = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, nearHash), net.jqwik.api.Tuple.of(2, hexRun), net.jqwik.api.Tuple.of(5, separator));
        return token.list().ofMaxSize(60).map(parts -> String.join("", parts));
    }

    @Property(tries = 400)
    void agreesWithTheReferenceRule(@ForAll("hashyText") String text) {
        long[] found = {0};
        Map<String, HashType> expected = reference(text, found);
        HashExtractor extractor = new HashExtractor(Integer.MAX_VALUE);
        char[] chars = text.toCharArray();
        extractor.feed(chars, 0, chars.length);
        ExtractedHashes actual = extractor.result();
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(actual.distinct().entrySet()));
        assertEquals(found[0], actual.found());
    }

    @Property(tries = 400)
    void givesTheSameAnswerHoweverTheTextIsSplitAcrossFeeds(@ForAll("hashyText") String text,
            @ForAll("cuts") List<Integer> cuts) {
        char[] chars = text.toCharArray();
        HashExtractor whole = new HashExtractor(Integer.MAX_VALUE);
        whole.feed(chars, 0, chars.length);
        HashExtractor pieces = new HashExtractor(Integer.MAX_VALUE);
        int from = 0;
        for (int cut : cuts) {
            int to = Math.min(chars.length, from + cut);
            pieces.feed(chars, from, to - from);
            from = to;
        }
        pieces.feed(chars, from, chars.length - from);
        assertEquals(whole.result(), pieces.result());
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 80).list().ofMaxSize(20);
    }

    @Property(tries = 300)
    void neverThrowsOnArbitraryTextWithoutNul(@ForAll("anyText") String text) {
        HashExtractor extractor = new HashExtractor(Integer.MAX_VALUE);
        char[] chars = text.toCharArray();
        extractor.feed(chars, 0, chars.length);
        long[] found = {0};
        assertEquals(reference(text, found).size(), extractor.result().unique());
    }

    @Provide
    Arbitrary<String> anyText() {
        return Arbitraries.strings().withCharRange('\u0001', '\uFFFF').ofMaxLength(500);
    }

    @Property(tries = 200)
    void rejectsOnlyForNulOrTooManyHashes(@ForAll("hashyText") String text,
            @ForAll @IntRange(min = 0, max = 5) int maxDistinct, @ForAll boolean withNul) {
        String input = withNul ? text + '\0' + text : text;
        long[] found = {0};
        int distinct = reference(text, found).size();
        HashExtractor extractor = new HashExtractor(maxDistinct);
        char[] chars = input.toCharArray();
        try {
            extractor.feed(chars, 0, chars.length);
            extractor.result();
            assertEquals(false, withNul, "a NUL must be rejected");
            assertEquals(true, distinct <= maxDistinct, "more than the limit must be rejected");
        } catch (UploadRejectedException e) {
            List<Integer> allowed = new ArrayList<>();
            if (withNul) {
                allowed.add(415);
            }
            if (distinct > maxDistinct) {
                allowed.add(413);
            }
            assertEquals(true, allowed.contains(e.status()), "unexpected rejection " + e.status());
        }
    }

    @Property(tries = 50)
    void aHashIsFoundWhateverSurroundsIt(@ForAll("hashyText") String before, @ForAll("hashyText") String after,
            @ForAll("oneHash") String hash) {
        String text = before + " " + hash + " " + after;
        HashExtractor extractor = new HashExtractor(Integer.MAX_VALUE);
        char[] chars = text.toCharArray();
        extractor.feed(chars, 0, chars.length);
        assertEquals(true, extractor.result().distinct().containsKey(hash.toLowerCase(Locale.ROOT)));
    }

    @Provide
    Arbitrary<String> oneHash() {
        return Combinators.combine(Arbitraries.of(32, 40, 64), Arbitraries.integers().between(0, 1000))
                .flatAs((n, ignored) -> Arbitraries.strings().withChars("0123456789abcdefABCDEF").ofLength(n));
    }
}
