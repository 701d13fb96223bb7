package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.RawHttp;
import java.io.File;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An upload over the size limit from a client that writes its whole body before it reads anything
 * (Python's urllib, curl in a script, most HTTP libraries for a small body): it reads the 413 and its
 * message, from the API and from the form page, instead of a reset connection. A body declared beyond
 * the bound the app is willing to read and discard is not read, and the connection is closed.
 */
@ExtendWith(ArquillianExtension.class)
class UploadSizeLimitIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("upload-size-limit");
    private static final long MB = 1024 * 1024;
    private static final int MAX_MB = 10;
    private static final long OVER_LIMIT = 11 * MB;
    private static final String MESSAGE = "The upload is larger than the limit of " + MAX_MB + " MB.";
    /** 64 bytes of text without a hash. */
    private static final String TEXT_LINE = "no hash on this line, only filler text: " + "x".repeat(23) + "\n";
    private static final byte[] LINE = TEXT_LINE.getBytes(StandardCharsets.US_ASCII);
    /** Any token of the right shape does: the form must only carry the same one as the cookie. */
    private static final String CSRF = "t".repeat(43);

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "MAX_UPLOAD_MB", String.valueOf(MAX_MB),
                "MAX_BATCHES_PER_HOUR_PER_CLIENT", "100000",
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "1000000"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    private String path(String p) {
        String root = base.getPath().endsWith("/") ? base.getPath().substring(0, base.getPath().length() - 1) : base.getPath();
        return root + p;
    }

    private RawHttp raw() {
        return new RawHttp(base);
    }

    @Test
    void aScriptThatSendsItsWholeBodyBeforeReadingGetsThe413AsJson() throws Exception {
        RawHttp.Answer answer = raw().sendThenRead("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nContent-Length: " + OVER_LIMIT + "\n",
                RawHttp.repeated(LINE, OVER_LIMIT), Duration.ofSeconds(30));

        assertTrue(answer.bytesSent() > OVER_LIMIT, "the whole body went out: " + answer.bytesSent() + " bytes");
        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains("{\"error\":\"" + MESSAGE + "\"}"), answer.text());
    }

    @Test
    void aChunkedBodyOverTheLimitSentWholeFirstGetsThe413() throws Exception {
        byte[] chunk = TEXT_LINE.repeat(1024).getBytes(StandardCharsets.US_ASCII);
        RawHttp.Answer answer = raw().sendThenRead("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nTransfer-Encoding: chunked\n",
                RawHttp.chunkedForever(chunk, OVER_LIMIT), Duration.ofSeconds(30));

        assertTrue(answer.bytesSent() > OVER_LIMIT, "the whole body went out: " + answer.bytesSent() + " bytes");
        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains(MESSAGE), answer.text());
    }

    @Test
    void theFormPageShowsThe413ToABrowserlessClientThatSendsItsWholeBodyFirst() throws Exception {
        String boundary = "limit-test-boundary";
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + CSRF + "\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        long length = head.length() + OVER_LIMIT + tail.length();
        RawHttp.Answer answer = raw().sendThenRead("POST " + path("/upload") + " HTTP/1.1\nHost: localhost\n"
                + "Cookie: vtbs-csrf=" + CSRF + "\n"
                + "Content-Type: multipart/form-data; boundary=" + boundary + "\nContent-Length: " + length + "\n",
                out -> {
                    out.write(head.getBytes(StandardCharsets.US_ASCII));
                    RawHttp.repeated(LINE, OVER_LIMIT).write(out);
                    out.write(tail.getBytes(StandardCharsets.US_ASCII));
                }, Duration.ofSeconds(30));

        assertTrue(answer.bytesSent() > length, "the whole body went out: " + answer.bytesSent() + " bytes");
        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains("id=\"upload-error\""), "the form page, not an error page: " + answer.text());
        assertTrue(answer.text().contains(MESSAGE), answer.text());
    }

    @Test
    void aBodyDeclaredBeyondWhatIsDiscardedIsAnsweredAtOnceAndNotRead() throws Exception {
        long declared = 5L * MAX_MB * MB; // beyond 4 x MAX_UPLOAD_MB
        RawHttp.Answer answer = raw().exchange("POST " + path("/api/batches") + " HTTP/1.1\nHost: localhost\n"
                + "Content-Type: text/plain\nContent-Length: " + declared + "\n",
                RawHttp.repeated(LINE, declared), Duration.ofSeconds(30));

        assertEquals(413, answer.status(), answer.text());
        assertTrue(answer.text().contains(MESSAGE), answer.text());
        assertTrue(answer.text().toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer.text());
        assertTrue(answer.bytesSent() < 4L * MAX_MB * MB,
                "answered after " + answer.bytesSent() + " bytes, without reading the body");
    }
}
