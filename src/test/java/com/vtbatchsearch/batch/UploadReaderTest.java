package com.vtbatchsearch.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.Corpus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class UploadReaderTest {
    static final String MD5 = HashExtractorTest.MD5;
    static final String SHA1 = HashExtractorTest.SHA1;
    static final String SHA256 = HashExtractorTest.SHA256;
    static final String TEXT = "# IOC list, café\n" + MD5 + ";dropper\n" + SHA1 + ";loader\n" + SHA256 + ";payload\n";

    static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    static final byte[] UTF16LE_BOM = {(byte) 0xFF, (byte) 0xFE};
    static final byte[] UTF16BE_BOM = {(byte) 0xFE, (byte) 0xFF};

    private static final long MB = 1024 * 1024;

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] all = new byte[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    private static ExtractedHashes read(byte[] bytes) throws IOException {
        UploadReader reader = new UploadReader(MB, 1_000);
        reader.read(new ByteArrayInputStream(bytes));
        return reader.finish();
    }

    private static UploadRejectedException rejected(long maxBytes, byte[] bytes) {
        UploadReader reader = new UploadReader(maxBytes, 1_000);
        return assertThrows(UploadRejectedException.class, () -> {
            reader.read(new ByteArrayInputStream(bytes));
            reader.finish();
        });
    }

    @Test
    void readsUtf8() throws IOException {
        ExtractedHashes hashes = read(TEXT.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void readsUtf8WithByteOrderMark() throws IOException {
        // The hash directly follows the mark, so the mark must be skipped, not read as a character.
        ExtractedHashes hashes = read(concat(UTF8_BOM, TEXT.substring(TEXT.indexOf('\n') + 1)
                .getBytes(StandardCharsets.UTF_8)));

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void readsUtf16LittleEndianWithByteOrderMark() throws IOException {
        ExtractedHashes hashes = read(concat(UTF16LE_BOM, TEXT.getBytes(StandardCharsets.UTF_16LE)));

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void readsUtf16BigEndianWithByteOrderMark() throws IOException {
        ExtractedHashes hashes = read(concat(UTF16BE_BOM, TEXT.getBytes(StandardCharsets.UTF_16BE)));

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void readsUtf32WithByteOrderMark() throws IOException {
        byte[] bom = {0, 0, (byte) 0xFE, (byte) 0xFF};
        ExtractedHashes hashes = read(concat(bom, TEXT.getBytes(Charset.forName("UTF-32BE"))));

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void readsCrlfLines() throws IOException {
        ExtractedHashes hashes = read(TEXT.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of(MD5, SHA1, SHA256), hashes.hashes());
    }

    @Test
    void partsAreReadOneAfterTheOtherAndNeverJoinARun() throws IOException {
        UploadReader reader = new UploadReader(MB, 1_000);
        reader.read(new ByteArrayInputStream((SHA1 + "\n" + MD5).getBytes(StandardCharsets.UTF_8)));
        reader.read(new ByteArrayInputStream((HashExtractorTest.OTHER_MD5 + "\n" + SHA1).getBytes(StandardCharsets.UTF_8)));

        ExtractedHashes hashes = reader.finish();

        assertEquals(List.of(SHA1, MD5, HashExtractorTest.OTHER_MD5), hashes.hashes());
        assertEquals(4, hashes.found());
        assertEquals(2 * (40 + 1 + 32), reader.bytesRead());
    }

    @Test
    void inputOverTheByteLimitIsRejectedWith413() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);

        UploadRejectedException e = rejected(bytes.length - 1, bytes);

        assertEquals(413, e.status());
    }

    @Test
    void inputOfExactlyTheByteLimitIsAccepted() throws IOException {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        UploadReader reader = new UploadReader(bytes.length, 1_000);

        reader.read(new ByteArrayInputStream(bytes));

        assertEquals(3, reader.finish().unique());
        assertEquals(bytes.length, reader.bytesRead());
    }

    @Test
    void theByteLimitCoversAllPartsTogether() throws IOException {
        byte[] part = (SHA256 + "\n").getBytes(StandardCharsets.UTF_8);
        UploadReader reader = new UploadReader(part.length + 10, 1_000);
        reader.read(new ByteArrayInputStream(part));

        UploadRejectedException e = assertThrows(UploadRejectedException.class,
                () -> reader.read(new ByteArrayInputStream(part)));
        assertEquals(413, e.status());
    }

    @Test
    void readingStopsShortlyAfterTheLimit() {
        byte[] huge = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) 'x');
        CountingStream counting = new CountingStream(new ByteArrayInputStream(huge));
        UploadReader reader = new UploadReader(1_000, 1_000);

        UploadRejectedException e = assertThrows(UploadRejectedException.class, () -> reader.read(counting));

        assertEquals(413, e.status());
        assertTrue(counting.count <= 1_001, "read " + counting.count + " bytes of a 1,000-byte limit");
    }

    @Test
    void emptyInputIsRejectedWith400() {
        UploadRejectedException e = rejected(MB, new byte[0]);

        assertEquals(400, e.status());
    }

    @Test
    void textWithoutAHashIsRejectedWith422NamingTheHashTypes() {
        UploadRejectedException e = rejected(MB, "nothing to see here: deadbeef, 1234\n".getBytes(StandardCharsets.UTF_8));

        assertEquals(422, e.status());
        assertTrue(e.getMessage().contains("MD5"), e.getMessage());
        assertTrue(e.getMessage().contains("SHA-1"), e.getMessage());
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
    }

    @Test
    void binaryInputWithNulBytesIsRejectedWith415() {
        byte[] binary = concat(new byte[] {'M', 'Z', (byte) 0x90, 0x00, 0x03, 0x00, 0x00, 0x00},
                (MD5 + "\n").getBytes(StandardCharsets.UTF_8));

        UploadRejectedException e = rejected(MB, binary);

        assertEquals(415, e.status());
    }

    @Test
    void utf16WithoutByteOrderMarkIsTakenForBinary() {
        UploadRejectedException e = rejected(MB, TEXT.getBytes(StandardCharsets.UTF_16LE));

        assertEquals(415, e.status());
    }

    @Test
    void theSignatureBaseHashIocListYieldsItsKnownCounts() throws IOException {
        ExtractedHashes hashes = readCorpus(Corpus.HASH_IOCS);

        assertEquals(3_057, hashes.unique());
        assertEquals(989, hashes.count(HashType.MD5));
        assertEquals(893, hashes.count(HashType.SHA1));
        assertEquals(1_175, hashes.count(HashType.SHA256));
        assertTrue(hashes.found() >= hashes.unique());
    }

    @Test
    void theSignatureBaseYaraRulesYieldTheirKnownCounts() throws IOException {
        ExtractedHashes hashes = readCorpus(Corpus.YARA_RULES);

        assertEquals(7_250, hashes.unique());
        assertEquals(1_308, hashes.count(HashType.MD5));
        assertEquals(1_267, hashes.count(HashType.SHA1));
        assertEquals(4_675, hashes.count(HashType.SHA256));
    }

    private static ExtractedHashes readCorpus(String name) throws IOException {
        byte[] file = Corpus.read(name);
        UploadReader reader = new UploadReader(20 * MB, 100_000);
        reader.read(new ByteArrayInputStream(file));
        assertEquals(file.length, reader.bytesRead());
        return reader.finish();
    }

    private static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
