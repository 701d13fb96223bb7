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
 * rule: every maximal run of hex digits (zero-width characters and soft hyphens inside it ignored) whose
 * length is exactly 32, 40 or 64 is a hash, except 40 digits right after {@code 0x}; a percent escape
 * of a character that is not a hex digit before the run is not part of it; the pieces of a run between
 * zero-width characters are hashes each when every piece has a hash's length.
 */
class HashExtractorPropertiesTest {
    private static final String INVISIBLE = "\u200B\u200C\u200D\u2060\uFEFF\u00AD";

    private static boolean isHex(char c) {
        return c < 128 && Character.digit(c, 16) >= 0;
    }

    private static boolean isInvisible(char c) {
        return INVISIBLE.indexOf(c) >= 0;
    }

    /** The text from {@code from} to {@code to} with the invisible characters taken out. */
    private static String visible(String text, int from, int to) {
        StringBuilder visible = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (!isInvisible(text.charAt(i))) {
                visible.append(text.charAt(i));
            }
        }
        return visible.toString();
    }

    private static HashType typeOf(String run) {
        return switch (run.length()) {
            case 32 -> HashType.MD5;
            case 40 -> HashType.SHA1;
            case 64 -> HashType.SHA256;
            default -> null;
        };
    }

    /** The rule, written as plainly as possible: cut the text into runs, the runs into pieces, and judge each. */
    static Map<String, HashType> reference(String text, long[] found) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        boolean previousRunWasZero = false;
        int previousEnd = 0;
        int i = 0;
        while (i < text.length()) {
            if (!isHex(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            while (i < text.length() && (isHex(text.charAt(i)) || isInvisible(text.charAt(i)))) {
                i++;
            }
            List<String> pieces = new ArrayList<>();
            for (String piece : text.substring(start, i).split("[" + INVISIBLE + "]+")) {
                if (!piece.isEmpty()) {
                    pieces.add(piece.toLowerCase(Locale.ROOT));
                }
            }
            String gap = visible(text, previousEnd, start);
            boolean afterZeroX = previousRunWasZero && (gap.equals("x") || gap.equals("X"));
            boolean afterPercent = gap.endsWith("%");
            previousEnd = i;
            while (afterPercent && pieces.get(0).length() >= 2) {
                char encoded = (char) Integer.parseInt(pieces.get(0).substring(0, 2), 16);
                if (isHex(encoded)) {
                    break;
                }
                pieces.set(0, pieces.get(0).substring(2));
                afterPercent = encoded == '%';
            }
            pieces.removeIf(String::isEmpty);
            previousRunWasZero = pieces.equals(List.of("0"));
            if (pieces.isEmpty()) {
                continue;
            }
            String whole = String.join("", pieces);
            boolean eachAHash = pieces.stream().allMatch(p -> typeOf(p) != null);
            List<String> hashes = pieces.size() > 1 && !eachAHash && typeOf(whole) != null ? List.of(whole) : pieces;
            for (int n = 0; n < hashes.size(); n++) {
                HashType type = typeOf(hashes.get(n));
                if (type == null || n == 0 && afterZeroX && type == HashType.SHA1) {
                    continue;
                }
                found[0]++;
                distinct.putIfAbsent(hashes.get(n), type);
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
                        "z", "é", "ß", "\u00a0", "\u0660", "ａ", "０", "\uFFFD", "😀", "\u2028",
                        "0x", "0X", " 0x", "%", "%3A", "%3d", "%2F", "%25", "%41", "sha256%3A", "%20",
                        "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u200B\u00AD"),
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
