package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.FakeVirusTotal.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VirusTotalClientTest {
    static final String MD5 = "44d88612fea8a8f36de82e1278abb02f";
    static final String SHA1 = "3395856ce81f2b7382dee72602f798b642f14140";
    static final String SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

    private FakeVirusTotal fake;
    private VirusTotalClient client;

    @BeforeEach
    void start() throws IOException {
        fake = new FakeVirusTotal();
        client = clientWithKey(FakeVirusTotal.API_KEY, Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        fake.close();
    }

    private VirusTotalClient clientWithKey(String key, Duration timeout) {
        return new VirusTotalClient(URI.create(fake.baseUrl()), key, timeout);
    }

    private static void assertNoKey(String text) {
        assertFalse(text != null && text.contains(FakeVirusTotal.API_KEY), "the API key leaked into: " + text);
    }

    @Test
    void aFoundFileMapsEveryField() {
        String body = FakeVirusTotal.fileJson(SHA256, MD5, SHA1, 7, "trojan.eicar/test", "eicar.com");
        fake.script(MD5, Reply.of(200, body));

        FileReport report = assertInstanceOf(LookupOutcome.Found.class, client.lookup(MD5)).report();

        assertEquals(SHA256, report.sha256());
        assertEquals(MD5, report.md5());
        assertEquals(SHA1, report.sha1());
        assertEquals(7, report.malicious());
        assertEquals(1, report.suspicious());
        assertEquals(70 - 7 - 1, report.undetected());
        assertEquals(0, report.harmless());
        assertEquals("trojan.eicar/test", report.threatLabel());
        assertEquals("eicar.com", report.meaningfulName());
        assertEquals("Win32 EXE", report.typeDescription());
        assertEquals(Instant.ofEpochSecond(1_500_000_000L), report.firstSubmission());
        assertEquals(Instant.ofEpochSecond(1_700_000_000L), report.lastAnalysis());
        assertEquals(-12, report.reputation());
        assertEquals(List.of("peexe", "overlay"), report.tags());
        assertEquals(body, report.rawJson());
        assertEquals(List.of(SHA256, MD5, SHA1), report.aliases());
        assertEquals(1, fake.calls(MD5));
    }

    @Test
    void absentOptionalFieldsStayNull() {
        String body = """
                {"data": {"type": "file", "id": "%s", "attributes": {"last_analysis_stats": {"malicious": 2}}}}"""
                .formatted(SHA256.toUpperCase());
        fake.script(SHA256, Reply.of(200, body));

        FileReport report = assertInstanceOf(LookupOutcome.Found.class, client.lookup(SHA256)).report();

        assertEquals(SHA256, report.sha256(), "data.id is stored lower-case");
        assertEquals(2, report.malicious());
        assertEquals(0, report.undetected());
        assertNull(report.md5());
        assertNull(report.sha1());
        assertNull(report.threatLabel());
        assertNull(report.meaningfulName());
        assertNull(report.firstSubmission());
        assertNull(report.reputation());
        assertEquals(List.of(), report.tags());
        assertEquals(List.of(SHA256), report.aliases());
    }

    @Test
    void theRequestCarriesTheKeyInTheXApikeyHeader() {
        // the fake answers 401 to a request without the right x-apikey header
        assertInstanceOf(LookupOutcome.Found.class, client.lookup(SHA1));
        assertEquals(1, fake.calls());
    }

    @Test
    void notFoundErrorMapsToNotFound() {
        fake.script(MD5, FakeVirusTotal.notFound(MD5));

        assertInstanceOf(LookupOutcome.NotFound.class, client.lookup(MD5));
    }

    @Test
    void aWrongKeyMapsToKeyRejectedWithoutTheKeyInTheMessage() {
        String wrongKey = "wrong-key-" + FakeVirusTotal.API_KEY;
        try (VirusTotalClient wrong = clientWithKey(wrongKey, Duration.ofSeconds(5))) {
            LookupOutcome.KeyRejected rejected = assertInstanceOf(LookupOutcome.KeyRejected.class, wrong.lookup(MD5));

            assertEquals("WrongCredentialsError", rejected.code());
            assertFalse(rejected.message().contains(wrongKey), rejected.message());
            assertNoKey(rejected.message());
            assertNoKey(rejected.code());
        }
    }

    @Test
    void quotaExceededMapsToRateLimitedWithItsCode() {
        fake.perMinuteLimit(1);
        assertInstanceOf(LookupOutcome.Found.class, client.lookup(MD5));

        LookupOutcome.RateLimited limited = assertInstanceOf(LookupOutcome.RateLimited.class, client.lookup(SHA1));

        assertEquals("QuotaExceededError", limited.code());
        assertEquals("Quota exceeded", limited.message());
        assertEquals(1, fake.rateLimitedCalls());
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 504})
    void serverErrorsMapToFailed(int status) {
        fake.script(MD5, FakeVirusTotal.error(status, "TransientError", "try again later"));

        LookupOutcome.Failed failed = assertInstanceOf(LookupOutcome.Failed.class, client.lookup(MD5));

        assertTrue(failed.reason().contains("HTTP " + status), failed.reason());
        assertTrue(failed.reason().contains("TransientError"), failed.reason());
        assertTrue(failed.reason().contains("try again later"), failed.reason());
        assertNoKey(failed.reason());
    }

    @Test
    void aServerErrorWithAnHtmlBodyMapsToFailedWithAShortenedBody() {
        String html = "<html><body>" + "Bad Gateway ".repeat(100) + "</body></html>";
        fake.script(MD5, Reply.of(502, html));

        LookupOutcome.Failed failed = assertInstanceOf(LookupOutcome.Failed.class, client.lookup(MD5));

        assertTrue(failed.reason().contains("HTTP 502"), failed.reason());
        assertTrue(failed.reason().length() < 400, "reason not shortened: " + failed.reason().length() + " chars");
    }

    @Test
    void truncatedJsonWith200MapsToFailed() {
        String body = FakeVirusTotal.fileJson(SHA256, MD5, SHA1, 3, "x", "y");
        fake.script(MD5, Reply.of(200, body.substring(0, body.length() / 2)));

        LookupOutcome.Failed failed = assertInstanceOf(LookupOutcome.Failed.class, client.lookup(MD5));

        assertTrue(failed.reason().contains("HTTP 200"), failed.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"<html>maintenance</html>", "{}", "{\"data\": {\"id\": \"short\"}}", "[]", "null"})
    void garbageWith200MapsToFailed(String body) {
        fake.script(MD5, Reply.of(200, body));

        assertInstanceOf(LookupOutcome.Failed.class, client.lookup(MD5));
    }

    @Test
    void anEmptyBodyWith200MapsToFailed() {
        fake.script(MD5, Reply.of(200, ""));

        assertInstanceOf(LookupOutcome.Failed.class, client.lookup(MD5));
    }

    @Test
    void anAnswerSlowerThanTheTimeoutMapsToFailed() {
        fake.script(MD5, new Reply(200, FakeVirusTotal.fileJson(SHA256, MD5, SHA1, 0, null, null),
                Duration.ofSeconds(5)));
        try (VirusTotalClient impatient = clientWithKey(FakeVirusTotal.API_KEY, Duration.ofMillis(300))) {
            long start = System.nanoTime();

            LookupOutcome.Failed failed = assertInstanceOf(LookupOutcome.Failed.class, impatient.lookup(MD5));

            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(millis < 3_000, "the lookup took " + millis + " ms despite a 300 ms timeout");
            assertTrue(failed.reason().contains("request failed"), failed.reason());
            assertNoKey(failed.reason());
        }
    }

    @Test
    void anUnreachableServerMapsToFailedWithoutTheKey() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (VirusTotalClient nowhere = new VirusTotalClient(URI.create("http://127.0.0.1:" + closedPort + "/api/v3"),
                FakeVirusTotal.API_KEY, Duration.ofSeconds(2))) {
            LookupOutcome.Failed failed = assertInstanceOf(LookupOutcome.Failed.class, nowhere.lookup(MD5));

            assertTrue(failed.reason().startsWith("request failed"), failed.reason());
            assertNoKey(failed.reason());
        }
    }

    @Test
    void mapsTooManyRequestsErrorToRateLimited() {
        LookupOutcome outcome = client.map(429,
                "{\"error\": {\"code\": \"TooManyRequestsError\", \"message\": \"Too many requests\"}}");

        LookupOutcome.RateLimited limited = assertInstanceOf(LookupOutcome.RateLimited.class, outcome);
        assertEquals("TooManyRequestsError", limited.code());
        assertEquals("Too many requests", limited.message());
    }

    @Test
    void a429CarriesItsRetryAfterInSecondsOrAsADate() {
        fake.allowance(FakeVirusTotal.NO_CAP, 0, FakeVirusTotal.NO_CAP).retryAfter(90);

        LookupOutcome.RateLimited limited = assertInstanceOf(LookupOutcome.RateLimited.class, client.lookup(MD5));

        assertEquals(Duration.ofSeconds(90), limited.retryAfter());
        Instant now = Instant.parse("2026-12-06T18:00:00Z");
        org.apache.hc.core5.http.message.BasicClassicHttpResponse dated =
                new org.apache.hc.core5.http.message.BasicClassicHttpResponse(429);
        dated.setHeader("Retry-After", "Sun, 06 Dec 2026 18:02:00 GMT");
        assertEquals(Duration.ofMinutes(2), VirusTotalClient.retryAfter(dated, now));
        dated.setHeader("Retry-After", "soon");
        assertNull(VirusTotalClient.retryAfter(dated, now));
    }

    @Test
    void mapsA429WithoutABodyToRateLimited() {
        LookupOutcome.RateLimited limited = assertInstanceOf(LookupOutcome.RateLimited.class, client.map(429, ""));

        assertEquals("TooManyRequestsError", limited.code());
        assertEquals("HTTP 429", limited.message());
    }

    @Test
    void mapsA404WithoutNotFoundErrorToFailedNotToAnAnswer() {
        // A proxy's page or a wrong VT_BASE_URL path must not be cached as "not on VirusTotal".
        assertInstanceOf(LookupOutcome.Failed.class, client.map(404, "<html><h1>404 Not Found</h1></html>"));
    }

    @Test
    void mapsA404WithAnotherErrorCodeToFailed() {
        LookupOutcome.Failed failed = assertInstanceOf(LookupOutcome.Failed.class,
                client.map(404, "{\"error\": {\"code\": \"SomethingElseError\", \"message\": \"odd\"}}"));

        assertTrue(failed.reason().contains("SomethingElseError"), failed.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"WrongCredentialsError", "ForbiddenError", "UserNotActiveError"})
    void mapsA403CredentialErrorToKeyRejected(String code) {
        LookupOutcome outcome = client.map(403, "{\"error\": {\"code\": \"" + code + "\", \"message\": \"no\"}}");

        assertEquals(code, assertInstanceOf(LookupOutcome.KeyRejected.class, outcome).code());
    }

    @Test
    void mapsA401WithoutABodyToKeyRejected() {
        LookupOutcome.KeyRejected rejected = assertInstanceOf(LookupOutcome.KeyRejected.class, client.map(401, ""));

        assertEquals("HTTP 401", rejected.code());
    }
}
