package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppDatabase;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An instance with {@code ACCESS_TOKEN} set, asked for each guarded path in every spelling a container
 * may map to it (dot segments raw and encoded, {@code ;} parameters, doubled slashes, case, a trailing
 * slash), over a raw socket so the exact bytes reach the server. Each request carries a CSRF cookie and
 * field the client made up itself, as a script can. None may get in: a spelling that is not the path's
 * own is a 400, the others are refused as the plain path is.
 */
@ExtendWith(ArquillianExtension.class)
class PathSpellingIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("path-spelling");
    private static final String TOKEN = "correct-horse-battery-staple-42";
    private static final String MD5 = "00112233445566778899aabbccddeeff";
    private static final String OTHER_MD5 = "ffeeddccbbaa99887766554433221100";
    /** A CSRF token of the right shape, made up by the client and sent as both cookie and field. */
    private static final String CSRF = "A".repeat(43);

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "ACCESS_TOKEN", TOKEN,
                "MAX_BATCHES_PER_HOUR_PER_CLIENT", "100000",
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "1000000"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    /** One request to a guarded path: its method, its path in the app, and its body. */
    private record Guarded(String method, String path, String contentType, byte[] body) {
    }

    private String context() {
        String root = base.getPath();
        return root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    private RawHttp.Answer send(String method, String path, String contentType, byte[] body, String authorization)
            throws Exception {
        return sendTarget(method, context() + path, contentType, body, authorization);
    }

    /** Sends {@code target} as the request line's target, byte for byte. */
    private RawHttp.Answer sendTarget(String method, String target, String contentType, byte[] body,
            String authorization) throws Exception {
        StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\nHost: "
                + base.getHost() + ":" + base.getPort() + "\nCookie: vtbs-csrf=" + CSRF + "\nConnection: close\n");
        if (authorization != null) {
            head.append("Authorization: ").append(authorization).append('\n');
        }
        if (body != null) {
            head.append("Content-Type: ").append(contentType).append("\nContent-Length: ").append(body.length).append('\n');
        }
        return new RawHttp(base).exchange(head.toString(), out -> {
            if (body != null) {
                out.write(body);
            }
        }, Duration.ofSeconds(20));
    }

    private String createBatch() throws Exception {
        RawHttp.Answer created = send("POST", "/api/batches", "text/plain", MD5.getBytes(StandardCharsets.US_ASCII),
                "Bearer " + TOKEN);
        assertEquals(201, created.status(), created.text());
        String body = created.text().substring(created.text().indexOf("\r\n\r\n") + 4);
        return new ObjectMapper().readTree(body).path("id").asText();
    }

    private static List<Guarded> guarded(String id) {
        byte[] hash = OTHER_MD5.getBytes(StandardCharsets.US_ASCII);
        byte[] form = ("csrf=" + CSRF).getBytes(StandardCharsets.US_ASCII);
        String boundary = "spelling";
        ByteArrayOutputStream upload = new ByteArrayOutputStream();
        upload.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + CSRF
                + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n" + OTHER_MD5
                + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return List.of(
                new Guarded("POST", "/api/batches", "text/plain", hash),
                new Guarded("GET", "/api/batches/" + id, null, null),
                new Guarded("GET", "/api/batches/" + id + "/items/" + MD5, null, null),
                new Guarded("POST", "/api/batches/" + id + "/refresh", "text/plain", hash),
                new Guarded("GET", "/report/" + id, null, null),
                new Guarded("POST", "/report/" + id + "/refresh", "application/x-www-form-urlencoded", form),
                new Guarded("POST", "/api/batches/" + id + "/recheck", "text/plain", hash),
                new Guarded("POST", "/report/" + id + "/watch", "application/x-www-form-urlencoded",
                        ("csrf=" + CSRF + "&watch=off").getBytes(StandardCharsets.US_ASCII)),
                new Guarded("POST", "/upload", "multipart/form-data; boundary=" + boundary, upload.toByteArray()),
                new Guarded("GET", "/", null, null));
    }

    /** Spellings the container maps to {@code path} although they are not {@code path}. */
    static List<String> otherSpellings(String path) {
        String rest = path.substring(1);
        int second = path.indexOf('/', 1);
        String first = second < 0 ? path : path.substring(0, second);
        String tail = second < 0 ? "" : path.substring(second);
        List<String> spellings = new ArrayList<>(List.of(
                "/static/../" + rest, "/static/%2e%2e/" + rest, "/static/%2E%2E/" + rest, "/static/.%2e/" + rest,
                "/static/./../" + rest, "/static/..;/" + rest, "/static;a=b/../" + rest, "/static/x/../../" + rest,
                "/login/../" + rest, "/health/../" + rest, "/./" + rest, "/%2e/" + rest, "//" + rest,
                path + ";jsessionid=0"));
        // the root's own variants (/ctx//.) resolve to /ctx, which the container redirects to /ctx/ itself
        if (!rest.isEmpty()) {
            spellings.add(path + "/.");
            spellings.add(path + "/x/..");
            spellings.add(path.replace("/", "//"));
            spellings.add(first + ";x=1" + tail);
            spellings.add("/%" + Integer.toHexString(rest.charAt(0)) + rest.substring(1));
        }
        return spellings;
    }

    private static long batches() throws Exception {
        return AppDatabase.count(DATA_DIR, "batches");
    }

    @Test
    void noSpellingOfAGuardedPathGetsInWithoutTheToken() throws Exception {
        String id = createBatch();
        long before = batches();
        List<String> failures = new ArrayList<>();
        for (Guarded request : guarded(id)) {
            List<String> refused = otherSpellings(request.path());
            List<String> asPlain = new ArrayList<>(List.of(request.path()));
            if (request.path().length() > 1) {
                asPlain.add(request.path() + "/");
                int second = request.path().indexOf('/', 1);
                asPlain.add(request.path().substring(0, second < 0 ? request.path().length() : second).toUpperCase(Locale.ROOT)
                        + (second < 0 ? "" : request.path().substring(second)));
            }
            for (String spelling : refused) {
                check(request, spelling, true, id, failures);
            }
            for (String spelling : asPlain) {
                check(request, spelling, false, id, failures);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " got through or were answered wrongly:\n" + String.join("\n", failures));
        assertEquals(before, batches(), "no spelling created a batch");
    }

    private void check(Guarded request, String spelling, boolean mustBe400, String id, List<String> failures)
            throws Exception {
        RawHttp.Answer answer = send(request.method(), spelling + (spelling.contains("?") ? "&" : "?") + "csrf=" + CSRF,
                request.contentType(), request.body(), null);
        String what = request.method() + " " + spelling + " -> " + answer.status();
        String head = answer.text().substring(0, Math.max(0, answer.text().indexOf("\r\n\r\n"))).toLowerCase(Locale.ROOT);
        if (mustBe400 ? answer.status() != 400 : answer.status() < 400 || answer.status() >= 500) {
            failures.add(what + (mustBe400 ? " (wanted 400)" : " (wanted a refusal)"));
        } else if (!head.contains("cache-control: no-store")) {
            failures.add(what + " without Cache-Control: no-store");
        } else if (answer.text().contains("\"counts\"") || answer.text().contains("data-batch-id")) {
            failures.add(what + " showed the batch");
        } else if (answer.text().contains("Tomcat")) {
            failures.add(what + " named the server");
        }
    }

    @Test
    void theTokenStillOpensThePlainPathButNoOtherSpelling() throws Exception {
        String id = createBatch();
        assertEquals(200, send("GET", "/api/batches/" + id, null, null, "Bearer " + TOKEN).status());
        for (String spelling : otherSpellings("/api/batches/" + id)) {
            RawHttp.Answer answer = send("GET", spelling, null, null, "Bearer " + TOKEN);
            assertEquals(400, answer.status(), spelling + ": " + answer.text());
            assertTrue(answer.text().contains("\"error\""), spelling + ": " + answer.text());
        }
        String absolute = "http://" + base.getHost() + ":" + base.getPort() + context();
        assertEquals(200, sendTarget("GET", absolute + "/api/batches/" + id, null, null, "Bearer " + TOKEN).status(),
                "the absolute form of a request target, as sent to a proxy");
        assertEquals(400, sendTarget("GET", absolute + "/static/../api/batches/" + id, null, null, null).status());
        RawHttp.Answer page = send("GET", "/static/../report/" + id, null, null, "Bearer " + TOKEN);
        assertEquals(400, page.status(), page.text());
        assertFalse(page.text().contains("data-batch-id"), page.text());
    }
}
