package com.vtbatchsearch.batch;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds MD5, SHA-1 and SHA-256 hashes in text: a run of exactly 32, 40 or 64 hex digits with no hex
 * digit directly before or after it, with three refinements for text as it is published: a run right
 * after {@code 0x} of exactly 40 digits is an Ethereum address, not a SHA-1; a percent-encoded
 * character ({@code %3A}, {@code %3D}, {@code %2F}, ...) that does not stand for a hex digit separates
 * like the character it encodes instead of adding two digits to the run; and zero-width characters and
 * soft hyphens are invisible: inside a run they join its pieces into one hash when the pieces are not
 * hashes each on their own, and otherwise separate them as before.
 *
 * <p>For each distinct hash it keeps the line of its first occurrence, at most {@link #CONTEXT_LENGTH}
 * characters around the hash, with the hash marked {@code «like this»}. Reads the text once, a buffer at a
 * time, so memory does not grow with the size of the input (nor with the length of a line), only with the
 * number of distinct hashes. A run may continue across several {@link #feed} calls, so text from several
 * sources is fed one after the other with {@link #endOfSource()} between them. A NUL character, the mark
 * of a binary file, stops the extraction with a 415 rejection.
 */
public final class HashExtractor {
    /** Most characters of a hash's line kept as its context, the marked hash included. */
    public static final int CONTEXT_LENGTH = 200;
    static final char MARK_START = '\u00ab';
    static final char MARK_END = '\u00bb';

    private static final int LONGEST = HashType.SHA256.length();
    // Enough of the current line to give a hash the characters before it, even after a run padded with
    // zero-width characters; a power of two, so a position finds its place with a mask.
    private static final int LINE_WINDOW = 1024;

    private final int maxDistinct;
    private final Map<String, HashType> distinct = new LinkedHashMap<>();
    private final Map<String, String> contexts = new LinkedHashMap<>();
    private long found;

    // The current run: its hex digits joined (the first 64), and the piece since the last zero-width break.
    private final char[] joined = new char[LONGEST];
    private final char[] piece = new char[LONGEST];
    private boolean inRun;
    private int joinedLength;
    private int pieceLength;
    private int pieces;
    private boolean allPiecesHashes;
    private boolean breakPending;
    private long runStart;
    private long pieceStart;
    private long lastDigitEnd;
    private boolean runAfterZeroX;
    private boolean runAfterPercent;
    private final List<Found> heldPieces = new ArrayList<>(2);

    // What came just before the next run.
    private boolean afterZeroX;
    private boolean afterPercent;

    // The current line: a window of its last characters, and the contexts still collecting what follows.
    private final char[] line = new char[LINE_WINDOW];
    private long linePosition;
    private final List<Context> openContexts = new ArrayList<>();

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
                digit((char) lower);
            } else if (isInvisible(c)) {
                // Outside a run it changes nothing: "0x", "%3A" and the hash around it still count as adjacent.
                breakPending = inRun && pieceLength > 0;
            } else {
                if (c == 0) {
                    throw UploadRejectedException.binary();
                }
                boolean loneZero = endRun();
                afterZeroX = loneZero && (c == 'x' || c == 'X');
                afterPercent = c == '%';
                if (c == '\n' || c == '\r') {
                    endLine();
                    continue;
                }
            }
            remember(c);
        }
    }

    /** Ends the current run and line: text that follows another source never continues its hash. */
    public void endOfSource() {
        endRun();
        endLine();
        afterZeroX = false;
        afterPercent = false;
    }

    public ExtractedHashes result() {
        endOfSource();
        return new ExtractedHashes(Collections.unmodifiableMap(new LinkedHashMap<>(distinct)), found,
                Collections.unmodifiableMap(new LinkedHashMap<>(contexts)));
    }

    private void digit(char lower) {
        if (!inRun) {
            inRun = true;
            runStart = linePosition;
            pieceStart = linePosition;
            runAfterZeroX = afterZeroX;
            runAfterPercent = afterPercent;
            allPiecesHashes = true;
        } else if (breakPending) {
            endPiece();
            pieceStart = linePosition;
        }
        breakPending = false;
        if (joinedLength < LONGEST) {
            joined[joinedLength] = lower;
        }
        joinedLength++;
        if (pieceLength < LONGEST) {
            piece[pieceLength] = lower;
        }
        pieceLength++;
        lastDigitEnd = linePosition + 1;
        if (runAfterPercent && pieces == 0 && pieceLength == 2) {
            int encoded = Character.digit(piece[0], 16) * 16 + Character.digit(piece[1], 16);
            if (toLowerHex((char) encoded) < 0) {
                // The two digits were a percent escape, not the start of a hash; "%25" escapes a "%" itself.
                joinedLength = 0;
                pieceLength = 0;
                runStart = linePosition + 1;
                pieceStart = runStart;
                runAfterPercent = encoded == '%';
            } else {
                runAfterPercent = false;
            }
        }
        if (joinedLength == LONGEST + 1) {
            releaseHeldPieces(); // the run can no longer be one hash
        }
    }

    private void endPiece() {
        if (pieceLength == 0) {
            return;
        }
        pieces++;
        HashType type = HashType.ofLength(pieceLength).orElse(null);
        if (type == null) {
            allPiecesHashes = false;
        } else if (!(pieces == 1 && runAfterZeroX && type == HashType.SHA1)) {
            heldPieces.add(new Found(new String(piece, 0, pieceLength), type, pieceStart, lastDigitEnd));
            if (joinedLength > LONGEST) {
                releaseHeldPieces();
            }
        }
        pieceLength = 0;
    }

    /** Ends the current run, recording what it held; answers whether the run was exactly "0". */
    private boolean endRun() {
        if (!inRun) {
            return false;
        }
        endPiece();
        boolean loneZero = joinedLength == 1 && pieces == 1 && joined[0] == '0';
        HashType joinedType = pieces > 1 && !allPiecesHashes ? HashType.ofLength(joinedLength).orElse(null) : null;
        if (joinedType != null) {
            heldPieces.clear();
            if (!(runAfterZeroX && joinedType == HashType.SHA1)) {
                record(new Found(new String(joined, 0, joinedLength), joinedType, runStart, lastDigitEnd));
            }
        } else {
            releaseHeldPieces();
        }
        inRun = false;
        joinedLength = 0;
        pieces = 0;
        breakPending = false;
        return loneZero;
    }

    private void releaseHeldPieces() {
        for (Found hash : heldPieces) {
            record(hash);
        }
        heldPieces.clear();
    }

    private void record(Found hash) {
        found++;
        if (distinct.putIfAbsent(hash.hash(), hash.type()) == null) {
            if (distinct.size() > maxDistinct) {
                throw UploadRejectedException.tooManyHashes(maxDistinct);
            }
            openContexts.add(new Context(hash.hash(), before(hash.start()), lineSince(hash.end())));
        }
    }

    /** Keeps {@code c} as part of the current line and of the contexts still reading on. */
    private void remember(char c) {
        line[(int) linePosition & (LINE_WINDOW - 1)] = c;
        linePosition++;
        for (int n = openContexts.size() - 1; n >= 0; n--) {
            Context context = openContexts.get(n);
            context.after.append(c);
            if (context.after.length() >= CONTEXT_LENGTH) {
                close(context);
                openContexts.remove(n);
            }
        }
    }

    private void endLine() {
        openContexts.forEach(this::close);
        openContexts.clear();
        linePosition = 0;
    }

    private void close(Context context) {
        contexts.put(context.hash, context.text());
    }

    /** What the line held before {@code position}, as much as the window still has and a context needs. */
    private String before(long position) {
        long from = Math.max(Math.max(0, position - CONTEXT_LENGTH), linePosition - LINE_WINDOW);
        return lineBetween(from, position);
    }

    private StringBuilder lineSince(long position) {
        return new StringBuilder(lineBetween(Math.max(position, linePosition - LINE_WINDOW), linePosition));
    }

    private String lineBetween(long from, long to) {
        StringBuilder text = new StringBuilder((int) Math.max(0, to - from));
        for (long p = from; p < to; p++) {
            text.append(line[(int) p & (LINE_WINDOW - 1)]);
        }
        return text.toString();
    }

    /** A hash as found: where it begins and ends on its line. */
    private record Found(String hash, HashType type, long start, long end) {
    }

    /** The line of a hash's first occurrence, while the rest of the line is still being read. */
    private static final class Context {
        final String hash;
        final String before;
        final StringBuilder after;

        Context(String hash, String before, StringBuilder after) {
            this.hash = hash;
            this.before = before;
            this.after = after;
        }

        /**
         * The marked hash with as much of the line on either side as fits in {@link #CONTEXT_LENGTH}, evenly
         * split when both sides are long; a side that was cut ends in an ellipsis.
         */
        String text() {
            String left = printable(before).stripLeading();
            String right = printable(after).stripTrailing();
            String marked = MARK_START + hash + MARK_END;
            int room = CONTEXT_LENGTH - marked.length();
            int leftLength = Math.min(left.length(), Math.max(room / 2, room - right.length()));
            int rightLength = Math.min(right.length(), room - leftLength);
            String shownLeft = left.substring(left.length() - leftLength);
            String shownRight = right.substring(0, rightLength);
            if (leftLength < left.length() && leftLength > 0) {
                shownLeft = '\u2026' + shownLeft.substring(1);
            }
            if (rightLength < right.length() && rightLength > 0) {
                shownRight = shownRight.substring(0, rightLength - 1) + '\u2026';
            }
            return wholeCharacters(shownLeft + marked + shownRight);
        }

        /** Drops half of a surrogate pair that a cut left alone, so the text encodes as UTF-8. */
        private static String wholeCharacters(String text) {
            StringBuilder out = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    out.append(c).append(text.charAt(++i));
                } else if (!Character.isSurrogate(c)) {
                    out.append(c);
                }
            }
            return out.toString();
        }

        /** Control characters read as spaces; invisible ones are left out. */
        private static String printable(CharSequence text) {
            StringBuilder out = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isISOControl(c)) {
                    out.append(' ');
                } else if (!isInvisible(c)) {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }

    /** Zero-width space, non-joiner, joiner, word joiner, byte-order mark, soft hyphen. */
    static boolean isInvisible(char c) {
        return c == '\u200B' || c == '\u200C' || c == '\u200D' || c == '\u2060' || c == '\uFEFF' || c == '\u00AD';
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
