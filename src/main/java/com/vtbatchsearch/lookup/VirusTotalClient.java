package com.vtbatchsearch.lookup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

/**
 * Asks VirusTotal API v3 about one file hash ({@code GET /files/{hash}}) and maps every answer it can
 * give to a {@link LookupOutcome}. It never retries by itself: what to do next is the worker's call.
 * The API key travels only in the {@code x-apikey} header and is never put in a message.
 */
public final class VirusTotalClient implements AutoCloseable {
    private static final int MAX_BODY_CHARS = 300;

    private final URI baseUrl;
    private final String apiKey;
    private final CloseableHttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Set<HttpGet> inFlight = ConcurrentHashMap.newKeySet();

    public VirusTotalClient(URI baseUrl, String apiKey, Duration timeout) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        Timeout t = Timeout.of(timeout);
        this.http = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(t)
                                .setSocketTimeout(t)
                                .build())
                        .setMaxConnTotal(16)
                        .setMaxConnPerRoute(16)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(t)
                        .setConnectionRequestTimeout(t)
                        .build())
                .disableAutomaticRetries()
                .disableCookieManagement()
                .setUserAgent("vt-batch-search")
                .build();
    }

    public LookupOutcome lookup(String hash) {
        HttpGet get = new HttpGet(baseUrl.toString() + "/files/" + hash);
        get.setHeader("x-apikey", apiKey);
        get.setHeader("Accept", "application/json");
        inFlight.add(get);
        try {
            return http.execute(get, response -> {
                String body = response.getEntity() == null ? ""
                        : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                return map(response.getCode(), body);
            });
        } catch (IOException e) {
            return new LookupOutcome.Failed("request failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } finally {
            inFlight.remove(get);
        }
    }

    /** Cuts short every request in flight; each returns {@code Failed}. Used on shutdown. */
    public void abortInFlight() {
        inFlight.forEach(HttpGet::cancel);
    }

    /** Maps a status and body to an outcome; package-private so each case is unit tested. */
    LookupOutcome map(int status, String body) {
        if (status == 200) {
            try {
                return new LookupOutcome.Found(parseFile(body));
            } catch (IOException | RuntimeException e) {
                return new LookupOutcome.Failed("unreadable answer from VirusTotal (HTTP 200): " + e.getMessage());
            }
        }
        String code = errorCode(body);
        String message = errorMessage(body, status);
        if (status == 404 && "NotFoundError".equals(code)) {
            return new LookupOutcome.NotFound();
        }
        if (status == 401 || status == 403 && ("WrongCredentialsError".equals(code) || "ForbiddenError".equals(code)
                || "UserNotActiveError".equals(code))) {
            return new LookupOutcome.KeyRejected(code == null ? "HTTP " + status : code, message);
        }
        if (status == 429) {
            return new LookupOutcome.RateLimited(code == null ? "TooManyRequestsError" : code, message);
        }
        return new LookupOutcome.Failed("VirusTotal answered HTTP " + status + (code == null ? "" : " " + code)
                + ": " + message);
    }

    private FileReport parseFile(String body) throws JsonProcessingException {
        JsonNode data = json.readTree(body).path("data");
        JsonNode attributes = data.path("attributes");
        String sha256 = lower(data.path("id").asText(null));
        if (sha256 == null || sha256.length() != 64) {
            sha256 = lower(attributes.path("sha256").asText(null));
        }
        if (sha256 == null || sha256.length() != 64) {
            throw new IllegalArgumentException("the answer names no SHA-256 (data.id)");
        }
        JsonNode stats = attributes.path("last_analysis_stats");
        List<String> tags = new ArrayList<>();
        attributes.path("tags").forEach(tag -> tags.add(tag.asText()));
        return new FileReport(
                sha256,
                lower(attributes.path("md5").asText(null)),
                lower(attributes.path("sha1").asText(null)),
                stats.path("malicious").asInt(0),
                stats.path("suspicious").asInt(0),
                stats.path("undetected").asInt(0),
                stats.path("harmless").asInt(0),
                text(attributes.path("popular_threat_classification").path("suggested_threat_label")),
                text(attributes.path("meaningful_name")),
                text(attributes.path("type_description")),
                epochSeconds(attributes.path("first_submission_date")),
                epochSeconds(attributes.path("last_analysis_date")),
                attributes.path("reputation").isNumber() ? attributes.path("reputation").asInt() : null,
                List.copyOf(tags),
                body);
    }

    private String errorCode(String body) {
        try {
            return text(json.readTree(body).path("error").path("code"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private String errorMessage(String body, int status) {
        try {
            String message = text(json.readTree(body).path("error").path("message"));
            if (message != null) {
                return message;
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: fall through to a shortened body
        }
        String trimmed = body == null ? "" : body.strip();
        if (trimmed.isEmpty()) {
            return "HTTP " + status;
        }
        return trimmed.length() > MAX_BODY_CHARS ? trimmed.substring(0, MAX_BODY_CHARS) + "…" : trimmed;
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isEmpty() ? node.asText() : null;
    }

    private static String lower(String value) {
        return value == null ? null : value.toLowerCase(Locale.ROOT);
    }

    private static Instant epochSeconds(JsonNode node) {
        return node.isNumber() ? Instant.ofEpochSecond(node.asLong()) : null;
    }

    /** Closes at once, cutting short a request in flight (its lookup returns {@code Failed}). */
    @Override
    public void close() {
        http.close(CloseMode.IMMEDIATE);
    }
}
