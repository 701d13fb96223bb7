package com.vtbatchsearch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client sends: bodies that never end,
 * clients that stall, bodies on a GET. {@link #exchange} writes the body on its own thread while the answer
 * is read, so a server that answers early is seen answering early; {@link #sendThenRead} writes it all
 * first, as a simple script does.
 */
public final class RawHttp {
    private final String host;
    private final int port;

    public RawHttp(URL base) {
        this.host = base.getHost();
        this.port = base.getPort();
    }

    /** Writes the request body to the socket; may run forever until the socket fails. */
    public interface BodyWriter {
        void write(OutputStream out) throws IOException;
    }

    /** What came back: status (0 when the server closed without an answer), the raw text, bytes the client sent. */
    public record Answer(int status, String text, long bytesSent, Duration elapsed) {
    }

    public Answer exchange(String head, BodyWriter body, Duration readTimeout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout((int) readTimeout.toMillis());
            OutputStream out = new CountingStream(socket.getOutputStream(), sent);
            out.write(head.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread writer = new Thread(() -> {
                try {
                    body.write(out);
                    out.flush();
                } catch (IOException e) {
                    // the server stopped reading: expected for a rejected body
                }
            }, "raw-http-body");
            writer.setDaemon(true);
            writer.start();
            Answer answer = readAnswer(socket, 0, start);
            socket.close();
            writer.join(5_000);
            return new Answer(answer.status(), answer.text(), sent.get(), answer.elapsed());
        }
    }

    /**
     * Writes the whole request before reading anything, as Python's urllib and many scripts do; a write
     * that fails (the server closed the connection) ends the writing, and whatever answer is left to read
     * is read.
     */
    public Answer sendThenRead(String head, BodyWriter body, Duration readTimeout) throws IOException {
        long start = System.nanoTime();
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout((int) readTimeout.toMillis());
            OutputStream out = new CountingStream(socket.getOutputStream(), sent);
            try {
                out.write((head.replace("\n", "\r\n") + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                body.write(out);
                out.flush();
            } catch (IOException e) {
                // broken pipe or reset: the server stopped reading and closed
            }
            return readAnswer(socket, sent.get(), start);
        }
    }

    private static Answer readAnswer(Socket socket, long sent, long start) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            InputStream in = socket.getInputStream();
            int n;
            while ((n = in.read(buffer)) != -1) {
                answer.write(buffer, 0, n);
                if (complete(answer.toString(StandardCharsets.ISO_8859_1))) {
                    break;
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // no (more) answer within the timeout, or reset
        }
        String text = answer.toString(StandardCharsets.UTF_8);
        int status = text.startsWith("HTTP/1.1 ") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : 0;
        return new Answer(status, text, sent, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Writes {@code length} bytes of {@code line} over and over (the last copy cut short), with no framing. */
    public static BodyWriter repeated(byte[] line, long length) {
        return out -> {
            for (long written = 0; written < length; written += line.length) {
                out.write(line, 0, (int) Math.min(line.length, length - written));
            }
        };
    }

    /** True once the head and a body of the announced length (or the last chunk) have arrived. */
    private static boolean complete(String text) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        int at = head.indexOf("content-length:");
        if (at >= 0) {
            int eol = head.indexOf("\r\n", at);
            long length = Long.parseLong(head.substring(at + 15, eol < 0 ? head.length() : eol).trim());
            return text.getBytes(StandardCharsets.ISO_8859_1).length - end - 4 >= length;
        }
        return head.contains("transfer-encoding: chunked") && text.endsWith("0\r\n\r\n");
    }

    /** Writes {@code chunk} over and over as chunked transfer encoding, up to {@code max} bytes. */
    public static BodyWriter chunkedForever(byte[] chunk, long max) {
        return out -> {
            byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            for (long written = 0; written < max; written += chunk.length) {
                out.write(size);
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        };
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private final AtomicLong count;

        CountingStream(OutputStream out, AtomicLong count) {
            this.out = out;
            this.count = count;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count.incrementAndGet();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count.addAndGet(len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
