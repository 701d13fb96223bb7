package com.vtbatchsearch.lookup;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The forward proxy that requests to VirusTotal go through, chosen from the environment as curl
 * chooses it: {@code https_proxy}/{@code HTTPS_PROXY} for an https URL, {@code http_proxy}/{@code
 * HTTP_PROXY} for an http one (lower case first), none when {@code no_proxy}/{@code NO_PROXY} names the
 * host (an exact name or a domain suffix, {@code *} for every host). A URL without a scheme is taken as
 * http, one without a port as port 1080, as curl does. The password is never part of {@link #toString}.
 */
public record HttpProxy(String host, int port, String user, String password, String variable) {
    private static final int CURL_DEFAULT_PORT = 1080;

    /** host:port, for messages and logs. */
    @Override
    public String toString() {
        return host + ":" + port;
    }

    public boolean hasCredentials() {
        return user != null;
    }

    /**
     * The proxy for requests to {@code target}, if the environment names one.
     *
     * @throws IllegalArgumentException naming the variable, when its value is not a proxy URL
     */
    public static Optional<HttpProxy> forTarget(URI target, Function<String, String> environment) {
        String scheme = target.getScheme() == null ? "https" : target.getScheme().toLowerCase(Locale.ROOT);
        String lower = scheme + "_proxy";
        String upper = lower.toUpperCase(Locale.ROOT);
        String variable = isSet(environment.apply(lower)) ? lower : isSet(environment.apply(upper)) ? upper : null;
        if (variable == null) {
            return Optional.empty();
        }
        HttpProxy proxy = parse(variable, environment.apply(variable).trim());
        String noProxy = isSet(environment.apply("no_proxy")) ? environment.apply("no_proxy")
                : environment.apply("NO_PROXY");
        return exempt(target.getHost(), noProxy) ? Optional.empty() : Optional.of(proxy);
    }

    static HttpProxy parse(String variable, String value) {
        String text = value.contains("://") ? value : "http://" + value;
        IllegalArgumentException malformed = new IllegalArgumentException(variable
                + " must be a proxy URL like http://[user:password@]host[:port]");
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw malformed;
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null
                || uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !"/".equals(uri.getRawPath())) {
            throw malformed;
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? "" : decode(info.substring(colon + 1));
        }
        return new HttpProxy(uri.getHost(), uri.getPort() < 0 ? CURL_DEFAULT_PORT : uri.getPort(), user, password,
                variable);
    }

    /** Whether {@code noProxy} exempts {@code host}: "*", the host itself, or a domain it is in. */
    static boolean exempt(String host, String noProxy) {
        if (host == null || !isSet(noProxy)) {
            return false;
        }
        String name = host.toLowerCase(Locale.ROOT);
        for (String entry : noProxy.split("[,\\s]+")) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            int colon = e.lastIndexOf(':');
            if (colon > 0 && e.indexOf(':') == colon) {
                e = e.substring(0, colon); // host:port: curl ignores the port
            }
            if (e.startsWith(".")) {
                e = e.substring(1);
            }
            if (e.equals("*") || !e.isEmpty() && (name.equals(e) || name.endsWith("." + e))) {
                return true;
            }
        }
        return false;
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }
}
