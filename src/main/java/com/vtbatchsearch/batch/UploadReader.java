package com.vtbatchsearch.batch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.apache.commons.io.ByteOrderMark;
import org.apache.commons.io.input.BOMInputStream;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * Reads the text of an upload, one or more parts (a file, pasted text) after the other, straight into a
 * {@link HashExtractor}: never more than a buffer in memory, never more than the size limit read.
 * Text is UTF-8 unless a byte-order mark says UTF-16 or UTF-32.
 */
public final class UploadReader {
    private static final ByteOrderMark[] MARKS = {ByteOrderMark.UTF_8, ByteOrderMark.UTF_32LE,
        ByteOrderMark.UTF_32BE, ByteOrderMark.UTF_16LE, ByteOrderMark.UTF_16BE};

    private final long maxBytes;
    private final HashExtractor extractor;
    private long bytesRead;

    public UploadReader(long maxBytes, int maxHashes) {
        this.maxBytes = maxBytes;
        this.extractor = new HashExtractor(maxHashes);
    }

    /** Reads one part to its end; the stream is not closed. */
    public void read(InputStream part) throws IOException {
        long remaining = maxBytes - bytesRead;
        BoundedInputStream bounded = BoundedInputStream.builder()
                .setInputStream(part)
                .setMaxCount(remaining + 1)
                .setPropagateClose(false)
                .get();
        try (BOMInputStream text = BOMInputStream.builder().setInputStream(bounded).setByteOrderMarks(MARKS).get()) {
            String bom = text.getBOMCharsetName();
            Charset charset = bom == null ? StandardCharsets.UTF_8 : Charset.forName(bom);
            Reader reader = new InputStreamReader(text, charset);
            extractor.read(reader);
        } finally {
            bytesRead += bounded.getCount();
        }
        if (bytesRead > maxBytes) {
            throw UploadRejectedException.tooLarge(maxBytes);
        }
    }

    /** Number of bytes read so far over all parts. */
    public long bytesRead() {
        return bytesRead;
    }

    /** The hashes of every part read; rejects an upload that was empty or had no hash. */
    public ExtractedHashes finish() {
        if (bytesRead == 0) {
            throw UploadRejectedException.noInput();
        }
        ExtractedHashes hashes = extractor.result();
        if (hashes.unique() == 0) {
            throw UploadRejectedException.noHashes();
        }
        return hashes;
    }
}
