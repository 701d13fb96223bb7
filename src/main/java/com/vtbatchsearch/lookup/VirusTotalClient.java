package com.vtbatchsearch.lookup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.auth.AuthCache;
import org.apache.hc.client5.http.impl.auth.BasicAuthCache;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.auth.BasicScheme;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.SystemDefaultRoutePlanner;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

/**
 * Asks VirusTotal API v3 about one file hash ({@code GET /files/{hash}}) and maps every answer it can
 * give to a {@link LookupOutcome}. It never retries by itself: what to do next is the worker's call.
 * Also reads the key's quotas ({@code GET /users/{key}/overall_quotas}). The API key travels in the
 * {@code x-apikey} header and, for the quotas, in the path: it is never put in a message, and
 * HttpClient's own debug logging, which prints request lines and headers, is held off (see {@link #QUIET}).
 * Requests go through the proxy the environment names ({@link HttpProxy}), else through the one the JVM's
 * {@code https.proxyHost}/{@code http.proxyHost} properties name, else directly.
 */
public final class VirusTotalClient implements AutoCloseable {
    private static final int MAX_BODY_CHARS = 300;
    /**
     * HttpClient logs request lines (which hold the key on the quota request) and headers (x-apikey)
     * at debug level. Held here, so the level set cannot be dropped with a collected logger.
     */
    static final List<Logger> QUIET = List.of(Logger.getLogger("org.apache.hc.client5.http"),
            Logger.getLogger("org.apache.hc.client5.http.headers"), Logger.getLogger("org.apache.hc.client5.http.wire"),
            Logger.getLogger("org.apache.hc.core5"));

    private final URI baseUrl;
    private final String apiKey;
    private final CloseableHttpClient http;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ObjectMapper json = JSON;
    private final Set<HttpGet> inFlight = ConcurrentHashMap.newKeySet();
    private final HttpProxy proxy;
    /** Holds the proxy's Basic scheme, so requests send the credentials at once instead of after a 407. */
    private final AuthCache proxyAuth = new BasicAuthCache();

    public VirusTotalClient(URI baseUrl, String apiKey, Duration timeout) {
        this(baseUrl, apiKey, timeout, null);
    }

    /** @param proxy the proxy from the environment, or null to follow the JVM's proxy properties */
    public VirusTotalClient(URI baseUrl, String apiKey, Duration timeout, HttpProxy proxy) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.proxy = proxy;
        QUIET.forEach(logger -> logger.setLevel(Level.INFO));
        Timeout t = Timeout.of(timeout);
        HttpClientBuilder builder = HttpClients.custom()
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
                .setUserAgent("vt-batch-search");
        if (proxy != null) {
            builder.setProxy(new HttpHost("http", proxy.host(), proxy.port()));
            if (proxy.hasCredentials()) {
                BasicCredentialsProvider credentials = new BasicCredentialsProvider();
                credentials.setCredentials(new AuthScope(proxy.host(), proxy.port()),
                        new UsernamePasswordCredentials(proxy.user(), proxy.password().toCharArray()));
                builder.setDefaultCredentialsProvider(credentials);
                BasicScheme basic = new BasicScheme();
                basic.initPreemptive(new UsernamePasswordCredentials(proxy.user(), proxy.password().toCharArray()));
                proxyAuth.put(new HttpHost("http", proxy.host(), proxy.port()), basic);
            }
        } else {
            builder.setRoutePlanner(new SystemDefaultRoutePlanner(ProxySelector.getDefault()));
        }
        this.http = builder.build();
    }

    private HttpClientContext context() {
        HttpClientContext context = HttpClientContext.create();
        context.setAuthCache(proxyAuth);
        return context;
    }

    /** The proxy from the environment, or null. */
    public HttpProxy proxy() {
        return proxy;
    }

    public LookupOutcome lookup(String hash) {
        HttpGet get = new HttpGet(baseUrl.toString() + "/files/" + hash);
        get.setHeader("x-apikey", apiKey);
        get.setHeader("Accept", "application/json");
        inFlight.add(get);
        try {
            return http.execute(get, context(), response -> {
                String body = response.getEntity() == null ? ""
                        : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                LookupOutcome outcome = map(response.getCode(), body);
                return outcome instanceof LookupOutcome.RateLimited limited
                        ? limited.withRetryAfter(retryAfter(response, Instant.now())) : outcome;
            });
        } catch (IOException e) {
            return new LookupOutcome.Failed(describe(e));
        } finally {
            inFlight.remove(get);
        }
    }

    /**
     * The key's quotas as VirusTotal counts them; asking costs no quota.
     *
     * @throws IOException when they cannot be had: no answer, or an answer that is not the quotas
     *                     object (a 404 for an old key, a proxy's page); the message never holds the key
     */
    public AccountQuota overallQuotas() throws IOException {
        HttpGet get = new HttpGet(baseUrl.toString() + "/users/" + apiKey + "/overall_quotas");
        get.setHeader("x-apikey", apiKey);
        get.setHeader("Accept", "application/json");
        inFlight.add(get);
        try {
            return http.execute(get, context(), response -> {
                String body = response.getEntity() == null ? ""
                        : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
                if (response.getCode() != 200) {
                    throw new UnusableAnswer("HTTP " + response.getCode());
                }
                JsonNode answer;
                try {
                    answer = json.readTree(body);
                } catch (JsonProcessingException e) {
                    throw new UnusableAnswer("an answer that is not JSON");
                }
                try {
                    return AccountQuota.parse(answer, Instant.now());
                } catch (IllegalArgumentException e) {
                    throw new UnusableAnswer("an answer that is not the quotas object (" + safeMessage(e) + ")");
                }
            });
        } catch (UnusableAnswer e) {
            throw e;
        } catch (IOException e) {
            throw new IOException(describe(e));
        } finally {
            inFlight.remove(get);
        }
    }

    /** An answer came, but not the quotas object. */
    private static final class UnusableAnswer extends IOException {
        UnusableAnswer(String message) {
            super(message);
        }
    }

    /** The last path segment of the quota URL, the key, shown masked: the first four characters only. */
    public static String mask(String key) {
        return key == null || key.length() < 8 ? "****" : key.substring(0, 4) + "…";
    }

    private String safeMessage(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        message = message.length() > MAX_BODY_CHARS ? message.substring(0, MAX_BODY_CHARS) : message;
        return message.replace(apiKey, mask(apiKey)).replace('\n', ' ');
    }

    /** A failed request in words; one through a proxy that refuses or is away says so and names the proxy. */
    private String describe(IOException e) {
        if (proxy != null && e instanceof ConnectTimeoutException) {
            return "proxy " + proxy + " did not answer the connection";
        }
        if (proxy != null && e instanceof ConnectException) {
            return "proxy " + proxy + " refused the connection";
        }
        if (proxy != null && e instanceof UnknownHostException) {
            return "proxy host " + proxy.host() + " cannot be resolved";
        }
        return "request failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + safeMessage(e));
    }

    /**
     * The wait a 429 asks for in {@code Retry-After}, as seconds or an HTTP date; null when absent or
     * unreadable.
     */
    static Duration retryAfter(ClassicHttpResponse response, Instant now) {
        Header header = response.getFirstHeader("Retry-After");
        if (header == null || header.getValue() == null) {
            return null;
        }
        String value = header.getValue().trim();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException e) {
            try {
                Duration wait = Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant());
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException notADate) {
                return null;
            }
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
        if (status == 407) {
            return new LookupOutcome.Failed("proxy " + (proxy == null ? "" : proxy + " ")
                    + "refused the credentials (HTTP 407 Proxy Authentication Required)");
        }
        if (status == 429) {
            return new LookupOutcome.RateLimited(code == null ? "TooManyRequestsError" : code, message);
        }
        return new LookupOutcome.Failed("VirusTotal answered HTTP " + status + (code == null ? "" : " " + code)
                + ": " + message);
    }

    /**
     * A file object as {@code GET /files/{hash}} answers it ({@code {"data": {"id": sha256, "attributes": ...}}}),
     * read as every lookup reads it.
     *
     * @throws JsonProcessingException  when the body is not JSON
     * @throws IllegalArgumentException when it names no SHA-256
     */
    public static FileReport parseFile(String body) throws JsonProcessingException {
        JsonNode data = JSON.readTree(body).path("data");
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
