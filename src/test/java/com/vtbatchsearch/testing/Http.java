package com.vtbatchsearch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * A plain HTTP client for tests that act as a browser or an API user; it never follows redirects. Like
 * a browser it keeps cookies, and like the pages' script it sends the CSRF token of the last page it
 * read along with its API calls, which ride on the same session cookie.
 */
public final class Http {
    private static final java.util.regex.Pattern CSRF_INPUT =
            java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private final HttpClient client = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .cookieHandler(new java.net.CookieManager())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final URI base;
    private volatile String pageToken;

    public Http(URI base) {
        this.base = base;
    }

    public URI uri(String path) {
        String root = base.toString().endsWith("/") ? base.toString() : base + "/";
        return URI.create(root + (path.startsWith("/") ? path.substring(1) : path));
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpResponse<String> page = client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        java.util.regex.Matcher token = CSRF_INPUT.matcher(page.body());
        if (token.find()) {
            pageToken = token.group(1);
        }
        return page;
    }

    /**
     * Waits until the batch of a big upload, stored in the background, is stored: its API answer stops being
     * 503 ("being stored"); fails after a minute or on any other answer than 503 or 200.
     */
    public void awaitStored(String batchId) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(1).toNanos();
        while (true) {
            HttpResponse<String> answer = get("/api/batches/" + batchId + "?limit=1");
            if (answer.statusCode() == 200) {
                return;
            }
            if (answer.statusCode() != 503 || System.nanoTime() > deadline) {
                throw new AssertionError("batch " + batchId + " not stored: " + answer.statusCode() + " " + answer.body());
            }
            Thread.sleep(100);
        }
    }

    public HttpResponse<byte[]> getBytes(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<String> post(String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        return post(path, contentType, body, true);
    }

    /** Posts with this client's cookies but without the CSRF header, as another site's form would. */
    public HttpResponse<String> postAsCrossSiteForm(String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        return post(path, contentType, body, false);
    }

    private HttpResponse<String> post(String path, String contentType, byte[] body, boolean withToken)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        String token = pageToken;
        if (withToken && token != null && path.startsWith("/api/")) {
            request.header("X-CSRF-Token", token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A DELETE with this client's cookies and, when {@code withToken}, the CSRF token of the last page
     * read in an {@code X-CSRF-Token} header, as the pages' script sends it; {@code bearer} may be null.
     */
    public HttpResponse<String> delete(String path, boolean withToken, String bearer)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).DELETE();
        String token = pageToken;
        if (withToken && token != null) {
            request.header("X-CSRF-Token", token);
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Signs this client in with the access token through the sign-in form; returns the answer (303 when it worked). */
    public HttpResponse<String> signIn(String accessToken) throws IOException, InterruptedException {
        String form = "csrf=" + java.net.URLEncoder.encode(csrfToken("/login"), StandardCharsets.UTF_8) + "&next=%2F&token="
                + java.net.URLEncoder.encode(accessToken, StandardCharsets.UTF_8);
        return post("/login", "application/x-www-form-urlencoded", form.getBytes(StandardCharsets.UTF_8));
    }

    /** Posts a multipart form whose parts are (name, filename or null, bytes) triples. */
    public HttpResponse<String> postMultipart(String path, Part... parts) throws IOException, InterruptedException {
        String boundary = "----vtbatch" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Part part : parts) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name() + "\""
                    + (part.filename() == null ? "" : "; filename=\"" + part.filename() + "\"")
                    + "\r\nContent-Type: " + (part.filename() == null ? "text/plain; charset=UTF-8"
                    : "application/octet-stream") + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(part.content());
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return post(path, "multipart/form-data; boundary=" + boundary, body.toByteArray());
    }

    /**
     * Posts the upload form as a browser does: the form page first (for the session cookie and its
     * CSRF token), then the form with the token as its first part.
     */
    public HttpResponse<String> postUploadForm(Part... parts) throws IOException, InterruptedException {
        Part[] withToken = new Part[parts.length + 1];
        withToken[0] = new Part("csrf", null, csrfToken("/").getBytes(StandardCharsets.UTF_8));
        System.arraycopy(parts, 0, withToken, 1, parts.length);
        return postMultipart("/upload", withToken);
    }

    /** The CSRF token of the form on the page at {@code path}, in this client's session. */
    public String csrfToken(String path) throws IOException, InterruptedException {
        HttpResponse<String> page = get(path);
        java.util.regex.Matcher m = CSRF_INPUT.matcher(page.body());
        if (!m.find()) {
            throw new AssertionError("no CSRF token on " + path + " (" + page.statusCode() + ")");
        }
        return m.group(1);
    }

    /** One part of a multipart form; a filename makes it a file part. */
    public record Part(String name, String filename, byte[] content) {
        public static Part file(String filename, byte[] content) {
            return new Part("file", filename, content);
        }

        public static Part text(String text) {
            return new Part("text", null, text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
