package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.testing.AppDatabase;
import com.vtbatchsearch.testing.AppSettings;
import com.vtbatchsearch.testing.Http;
import com.vtbatchsearch.testing.Http.Part;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An instance with {@code ACCESS_TOKEN} set and tight per-client limits: sign-in, bearer tokens, CSRF,
 * the security headers, and 429s that say when to come back and store nothing.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuardedInstanceIT {
    private static final Path DATA_DIR = AppSettings.freshDataDir("guarded");
    private static final String TOKEN = "correct-horse-battery-staple-42";
    private final ObjectMapper json = new ObjectMapper();

    @ArquillianResource
    private URL base;

    @Deployment(testable = false)
    static WebArchive war() {
        AppSettings.apply(Map.of(
                "DATA_DIR", DATA_DIR.toString(),
                "ACCESS_TOKEN", TOKEN,
                "MAX_BATCHES_PER_HOUR_PER_CLIENT", "3",
                "MAX_NEW_HASHES_PER_DAY_PER_CLIENT", "5"));
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("vtbatch.war")));
    }

    private Http http() {
        return new Http(URI.create(base.toString()));
    }

    private HttpResponse<String> api(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(http().uri(path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "text/plain");
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Http signedIn() throws Exception {
        Http browser = http();
        String csrf = browser.csrfToken("/login");
        HttpResponse<String> login = browser.post("/login", "application/x-www-form-urlencoded",
                ("csrf=" + URLEncoder.encode(csrf, StandardCharsets.UTF_8) + "&next=%2F&token="
                        + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        assertEquals(303, login.statusCode(), login.body());
        return browser;
    }

    private static long batches() throws Exception {
        return AppDatabase.count(DATA_DIR, "batches");
    }

    @Test
    void anApiCallRidingOnASignedInSessionNeedsTheFormsToken() throws Exception {
        Http browser = signedIn();
        // No hash in it: past the CSRF check it is a 422, so it spends none of the per-client budget.
        byte[] text = "nothing to look up".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> forged = browser.postAsCrossSiteForm("/api/batches", "text/plain", text);
        assertEquals(403, forged.statusCode(), forged.body());
        HttpResponse<String> fromThePage = browser.post("/api/batches", "text/plain", text);
        assertEquals(422, fromThePage.statusCode(), fromThePage.body());
    }

    @Test
    void pagesAskForTheTokenOnceAndTheApiTakesItAsBearer() throws Exception {
        Http stranger = http();
        HttpResponse<String> home = stranger.get("/");
        assertEquals(401, home.statusCode());
        assertTrue(home.body().contains("Access token"), home.body());
        assertFalse(home.body().contains(TOKEN));
        assertEquals(401, stranger.get("/report/00000000-0000-4000-8000-000000000000").statusCode());

        HttpResponse<String> noBearer = api("POST", "/api/batches", null, "a".repeat(32));
        assertEquals(401, noBearer.statusCode());
        assertEquals(AccessControlFilter.API_MESSAGE, json.readTree(noBearer.body()).path("error").asText());
        assertTrue(noBearer.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertEquals(401, api("GET", "/api/batches/00000000-0000-4000-8000-000000000000", TOKEN + "x", null).statusCode());
        assertEquals(404, api("GET", "/api/batches/00000000-0000-4000-8000-000000000000", TOKEN, null).statusCode());

        Http browser = http();
        String csrf = browser.csrfToken("/login");
        HttpResponse<String> wrong = browser.post("/login", "application/x-www-form-urlencoded",
                ("csrf=" + URLEncoder.encode(csrf, StandardCharsets.UTF_8) + "&token=guess").getBytes(StandardCharsets.UTF_8));
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.body().contains("not this instance&#039;s access token"), wrong.body());
        HttpResponse<String> noCsrf = browser.post("/login", "application/x-www-form-urlencoded",
                ("token=" + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        assertEquals(403, noCsrf.statusCode(), "sign-in is a form too");

        Http user = signedIn();
        HttpResponse<String> form = user.get("/");
        assertEquals(200, form.statusCode());
        assertFalse(form.body().contains(TOKEN), "the token never appears in a page");

        HttpResponse<String> health = http().get("/health");
        assertEquals(200, health.statusCode(), "health stays open for load balancers");
        assertFalse(health.body().contains(TOKEN));
    }

    @Test
    void signInNeverRedirectsOffSite() {
        assertEquals("/", LoginServlet.safeNext("//evil.example/x"));
        assertEquals("/", LoginServlet.safeNext("https://evil.example/"));
        assertEquals("/", LoginServlet.safeNext("/\\evil.example"));
        assertEquals("/report/abc-1", LoginServlet.safeNext("/report/abc-1"));
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() throws Exception {
        Http user = signedIn();
        for (String path : new String[] {"/", "/login", "/health", "/report/nope", "/static/app.css", "/no-such-page"}) {
            HttpResponse<String> response = user.get(path);
            Map<String, java.util.List<String>> headers = response.headers().map();
            assertEquals(SecurityHeadersFilter.CONTENT_SECURITY_POLICY,
                    response.headers().firstValue("Content-Security-Policy").orElse(null), path);
            assertTrue(SecurityHeadersFilter.CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
            assertFalse(SecurityHeadersFilter.CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
            assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(null), path);
            assertEquals("no-referrer", response.headers().firstValue("Referrer-Policy").orElse(null), path);
            if (!path.startsWith("/static/")) {
                assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(null), path);
            }
            assertTrue(headers.containsKey("content-security-policy"));
        }
        HttpResponse<String> form = user.get("/");
        assertFalse(form.body().contains("<script>"), "no inline script");
        assertFalse(form.body().contains("style="), "no inline style");
        String cookie = http().get("/login").headers().firstValue("Set-Cookie").orElse("");
        assertTrue(cookie.contains("HttpOnly"), cookie);
        assertTrue(cookie.contains("SameSite=Strict"), cookie);
    }

    @Test
    void uploadFormsNeedTheirCsrfToken() throws Exception {
        Http user = signedIn();
        long before = batches();
        HttpResponse<String> noToken = user.postMultipart("/upload", Part.text("b".repeat(32)));
        assertEquals(403, noToken.statusCode());
        assertTrue(noToken.body().contains("This form has expired or was not sent from this site"), noToken.body());
        HttpResponse<String> wrongToken = user.postMultipart("/upload", new Part("csrf", null, "forged".getBytes()),
                Part.text("b".repeat(32)));
        assertEquals(403, wrongToken.statusCode());
        HttpResponse<String> tokenLast = user.postMultipart("/upload", Part.text("b".repeat(32)),
                new Part("csrf", null, user.csrfToken("/").getBytes()));
        assertEquals(403, tokenLast.statusCode(), "the token must come before the upload");
        assertEquals(before, batches(), "refused forms store nothing");
    }

    @Test
    @Order(Integer.MAX_VALUE) // spends this address's budget: last
    void aClientOverItsBudgetGets429WithWhenToComeBackAndNothingIsStored() throws Exception {
        long before = batches();
        HttpResponse<String> tooManyNew = api("POST", "/api/batches", TOKEN,
                "1".repeat(32) + " " + "2".repeat(32) + " " + "3".repeat(32) + " " + "4".repeat(32) + " "
                        + "5".repeat(32) + " " + "6".repeat(32));
        assertEquals(429, tooManyNew.statusCode(), tooManyNew.body());
        assertTrue(json.readTree(tooManyNew.body()).path("error").asText()
                .startsWith("This upload would queue 6 new lookups; your address may queue 5 a day"), tooManyNew.body());
        assertEquals("86400", tooManyNew.headers().firstValue("Retry-After").orElse(null));
        assertEquals(before, batches(), "a batch over the new-hash budget stores nothing");

        Http user = signedIn();
        int accepted = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < 4; i++) {
            last = user.postUploadForm(Part.text("7".repeat(32)));
            if (last.statusCode() == 303) {
                accepted++;
            }
        }
        assertEquals(3, accepted, "three batches an hour");
        assertEquals(429, last.statusCode());
        assertTrue(last.body().contains("Too many uploads from your address: at most 3 batches an hour. Come back after"),
                last.body());
        long retryAfter = Long.parseLong(last.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 3500 && retryAfter <= 3600, "Retry-After " + retryAfter);
        assertEquals(before + 3, batches());

        HttpResponse<String> apiToo = api("POST", "/api/batches", TOKEN, "8".repeat(32));
        assertEquals(429, apiToo.statusCode(), "the API counts against the same address");
        assertTrue(json.readTree(apiToo.body()).path("error").asText().startsWith("Too many uploads"));
        assertEquals(before + 3, batches());
        try (Stream<Path> files = Files.list(DATA_DIR)) {
            assertTrue(files.count() >= 1);
        }
    }
}
