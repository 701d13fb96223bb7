package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.UploadRejectedException;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * An upload request whose body is counted as it is read and is never closed by a reader, so that when
 * the upload is rejected, {@link #discardRest} can read what the client still sends and throw it away
 * before the answer goes out. A client that writes its whole body before it reads anything (Python's
 * urllib, many scripts) then reads its 413 and the message instead of a broken pipe: left to itself, the
 * container reads at most 2 MB of an unread body ({@code maxSwallowSize}) and then closes the connection
 * under the client's writes. Only a body of up to {@link UploadLimits#maxDiscardBytes()} in all is read;
 * beyond that the answer goes out and the connection is closed.
 */
final class UploadBody extends HttpServletRequestWrapper {
    private final long maxDiscardBytes;
    private CountingInput input;

    UploadBody(HttpServletRequest request, UploadLimits limits) {
        super(request);
        this.maxDiscardBytes = limits.maxDiscardBytes();
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
        if (input == null) {
            input = new CountingInput(super.getInputStream());
        }
        return input;
    }

    /**
     * Reads and drops the rest of a rejected upload's body, with one read buffer of memory, as long as the
     * body stays within the bound; call it before writing the answer (a container closes the request's
     * input with the response). Past the bound, and when the client stalled or says it sends more than
     * the bound, nothing more is read and the answer asks for the connection to be closed.
     */
    void discardRest(HttpServletResponse response, UploadRejectedException rejection) {
        if (rejection.status() == HttpServletResponse.SC_REQUEST_TIMEOUT || getContentLengthLong() > maxDiscardBytes) {
            response.setHeader("Connection", "close");
            return;
        }
        try {
            ServletInputStream in = getInputStream();
            byte[] buffer = new byte[8192];
            while (in.read(buffer) != -1) {
                if (input.count > maxDiscardBytes) {
                    response.setHeader("Connection", "close");
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away or stalled past the connector's timeout
            response.setHeader("Connection", "close");
        }
    }

    private static final class CountingInput extends ServletInputStream {
        private final ServletInputStream in;
        private long count;

        CountingInput(ServletInputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        /** Readers close what they read; the rest of the body must stay readable for {@link #discardRest}. */
        @Override
        public void close() {
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
