package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.UploadReader;
import com.vtbatchsearch.batch.UploadRejectedException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;

/**
 * Reads the hashes of an upload request as it streams in: the {@code file} and {@code text} parts of a
 * multipart form through Commons FileUpload's streaming API, or a {@code text/plain} body. Nothing is
 * buffered beyond a read buffer; other parts are skipped; over the size limit reading stops with a 413.
 */
final class UploadParser {
    static final String FILE_FIELD = "file";
    static final String TEXT_FIELD = "text";
    /** A form has a handful of parts; thousands are an attack on the parser, not an upload. */
    static final int MAX_PARTS = 50;
    private static final int MAX_CSRF_PART_BYTES = 256;
    /** Room for the multipart boundaries and headers around parts that together stay within the limit. */
    private static final long MULTIPART_OVERHEAD = 64 * 1024;

    private final long maxBytes;
    private final int maxHashes;

    UploadParser(long maxBytes, int maxHashes) {
        this.maxBytes = maxBytes;
        this.maxHashes = maxHashes;
    }

    static boolean isMultipart(HttpServletRequest request) {
        return JakartaServletFileUpload.isMultipartContent(request);
    }

    static boolean isPlainText(HttpServletRequest request) {
        String type = request.getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("text/plain");
    }

    /** Reads a multipart form with a {@code file} part, a {@code text} part, or both. */
    ExtractedHashes parseMultipart(HttpServletRequest request) throws IOException {
        return parseMultipart(request, null);
    }

    /**
     * Reads a multipart form and keeps a copy of its {@code text} part in {@code pasted}, so a rejected
     * form can be shown again with what was pasted; the copy stays empty when the text was larger than
     * {@link #MAX_PASTED_ECHO} bytes or was not read to its end.
     */
    ExtractedHashes parseMultipart(HttpServletRequest request, PastedText pasted) throws IOException {
        if (request.getContentLengthLong() > maxBytes + MULTIPART_OVERHEAD) {
            throw UploadRejectedException.tooLarge(maxBytes);
        }
        JakartaServletFileUpload<?, ?> upload = new JakartaServletFileUpload<>();
        upload.setMaxSize(maxBytes + MULTIPART_OVERHEAD);
        upload.setMaxFileSize(maxBytes);
        upload.setHeaderCharset(StandardCharsets.UTF_8);
        UploadReader reader = new UploadReader(maxBytes, maxHashes);
        // a browser form's hidden csrf input comes first, so the token is checked before any upload is read
        Optional<String> csrf = CsrfFilter.pendingCheck(request);
        boolean csrfChecked = csrf.isEmpty();
        int count = 0;
        try {
            FileItemInputIterator parts = upload.getItemIterator(request);
            while (parts.hasNext()) {
                FileItemInput part = parts.next();
                if (++count > MAX_PARTS) {
                    throw new UploadRejectedException(413, "The form has more than " + MAX_PARTS
                            + " parts. Send one 'file' part and/or one 'text' part.");
                }
                String field = part.getFieldName();
                if (!csrfChecked) {
                    if (!CsrfFilter.FIELD.equals(field) || !CsrfFilter.matches(csrf.get(), readSmall(part))) {
                        throw new UploadRejectedException(403, CsrfFilter.MESSAGE);
                    }
                    csrfChecked = true;
                    continue;
                }
                if (FILE_FIELD.equals(field)) {
                    try (InputStream in = part.getInputStream()) {
                        reader.read(in);
                    }
                } else if (TEXT_FIELD.equals(field)) {
                    try (InputStream in = pasted == null ? part.getInputStream() : pasted.copying(part.getInputStream())) {
                        reader.read(in);
                    }
                    if (pasted != null) {
                        pasted.complete();
                    }
                }
            }
        } catch (FileUploadSizeException e) {
            throw UploadRejectedException.tooLarge(maxBytes);
        } catch (FileUploadException e) {
            throw tooLargeOr(e, new UploadRejectedException(400, "The upload is not a readable multipart form: "
                    + e.getMessage()));
        } catch (IOException e) {
            throw tooLargeOr(e, UploadRejectedException.cutOff());
        }
        if (!csrfChecked) {
            throw new UploadRejectedException(403, CsrfFilter.MESSAGE);
        }
        return reader.finish();
    }

    private static String readSmall(FileItemInput part) throws IOException {
        try (InputStream in = part.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_CSRF_PART_BYTES);
            return new String(bytes, StandardCharsets.UTF_8).trim();
        }
    }

    /** Reads a {@code text/plain} request body. */
    ExtractedHashes parseBody(HttpServletRequest request) throws IOException {
        if (request.getContentLengthLong() > maxBytes) {
            throw UploadRejectedException.tooLarge(maxBytes);
        }
        UploadReader reader = new UploadReader(maxBytes, maxHashes);
        try (InputStream in = request.getInputStream()) {
            reader.read(in);
        } catch (IOException e) {
            // the client stalled past the connector's timeout, or went away mid-body
            throw UploadRejectedException.cutOff();
        }
        return reader.finish();
    }

    /** Largest pasted text a rejected form shows again. */
    static final int MAX_PASTED_ECHO = 1024 * 1024;

    /** A copy of the pasted text of a form, kept while it streams through the reader. */
    static final class PastedText {
        private final java.io.ByteArrayOutputStream copy = new java.io.ByteArrayOutputStream();
        private boolean overflow;
        private boolean complete;

        InputStream copying(InputStream in) {
            return new java.io.FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        keep(new byte[] {(byte) b}, 0, 1);
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = super.read(buffer, offset, length);
                    if (n > 0) {
                        keep(buffer, offset, n);
                    }
                    return n;
                }
            };
        }

        private void keep(byte[] buffer, int offset, int length) {
            if (copy.size() + length > MAX_PASTED_ECHO) {
                overflow = true;
            } else if (!overflow) {
                copy.write(buffer, offset, length);
            }
        }

        void complete() {
            complete = true;
        }

        /** The pasted text as UTF-8 (browsers send form fields in the page's encoding); empty when not kept. */
        String text() {
            return complete && !overflow ? copy.toString(java.nio.charset.StandardCharsets.UTF_8) : "";
        }
    }

    /** FileUpload reports a size limit hit mid-stream as an IOException whose cause says so. */
    private <E extends RuntimeException> E tooLargeOr(Exception e, E otherwise) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FileUploadSizeException) {
                throw UploadRejectedException.tooLarge(maxBytes);
            }
            if (t instanceof UploadRejectedException rejected) {
                throw rejected;
            }
        }
        return otherwise;
    }
}
