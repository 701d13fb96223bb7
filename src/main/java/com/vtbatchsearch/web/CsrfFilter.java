package com.vtbatchsearch.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * CSRF protection for every browser form, without server state: a random token lives in a cookie
 * ({@code HttpOnly}, {@code SameSite=Strict}) and pages render the same token from the request
 * attribute {@code csrf} as a hidden input named {@code csrf}; a POST must carry both, equal. Another
 * site can make a browser send the cookie, but can neither read it nor set it, so it cannot forge the
 * matching field. Keeping the token out of the session means a flood of page views costs no memory.
 * Every other request that may change something is checked here, whatever its encoding (the field is
 * read from a URL-encoded body or the query string), except a multipart POST to {@code /upload}, which
 * {@link UploadParser} checks against its first part, since reading the body here would defeat
 * streaming. No other path reads a multipart body, so elsewhere such a body counts as carrying no token.
 *
 * <p>The JSON API refuses a write that a browser marks as sent by another site ({@code Sec-Fetch-Site}
 * other than {@code same-origin} or {@code none}; without that header, an {@code Origin} that is not this
 * host): even without a session such a request spends the instance's quota from a visitor's browser.
 * curl and scripts send neither header. Past that, the API needs no token when the request rides on no
 * live session (the only credential a browser adds by itself: a sign-in when ACCESS_TOKEN is set), or
 * carries a bearer token: CSRF abuses such a credential. An API call that does ride on a session must
 * repeat the token in an {@code X-CSRF-Token} header, which no cross-site form can set.
 */
public final class CsrfFilter extends HttpFilter {
    public static final String FIELD = "csrf";
    static final String HEADER = "X-CSRF-Token";
    static final String COOKIE = "vtbs-csrf";
    private static final String PENDING_KEY = CsrfFilter.class.getName() + ".pending";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");
    static final String MESSAGE = "This form has expired or was not sent from this site. Reload the page and try again.";
    static final String CROSS_SITE_MESSAGE = "Another site's page may not write to this API.";
    /** The one path that reads a multipart body, and checks the token in its first part. */
    private static final String STREAMED_UPLOAD = "/upload";

    private final SecureRandom random = new SecureRandom();

    /** What a page reads as {@code ${csrf.token}}: the token of this browser's cookie. */
    public static final class PageToken {
        private final String token;

        PageToken(String token) {
            this.token = token;
        }

        public String getToken() {
            return token;
        }
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Optional<String> cookie = cookieToken(request);
        String method = request.getMethod();
        if (request.getDispatcherType() == DispatcherType.ERROR || "GET".equals(method) || "HEAD".equals(method)
                || "OPTIONS".equals(method)) {
            if (!Rejections.isApi(request)) {
                // Set before the page renders, while the response can still take a header.
                String token = cookie.orElseGet(() -> issue(request, response));
                request.setAttribute(FIELD, new PageToken(token));
            }
            chain.doFilter(request, response);
            return;
        }
        if (Rejections.isApi(request)) {
            if (isCrossSite(request)) {
                reject(request, response, CROSS_SITE_MESSAGE);
                return;
            }
            if (isBearer(request) || request.getSession(false) == null
                    || cookie.isPresent() && matches(cookie.get(), request.getHeader(HEADER))) {
                chain.doFilter(request, response);
            } else {
                reject(request, response, MESSAGE);
            }
            return;
        }
        if (cookie.isEmpty()) {
            reject(request, response, MESSAGE);
            return;
        }
        // a rejected form is shown again with a fresh field: the same token
        request.setAttribute(FIELD, new PageToken(cookie.get()));
        if (UploadParser.isMultipart(request) && STREAMED_UPLOAD.equals(Rejections.pathOf(request))) {
            request.setAttribute(PENDING_KEY, cookie.get());
            chain.doFilter(request, response);
            return;
        }
        if (!matches(cookie.get(), request.getParameter(FIELD))) {
            reject(request, response, MESSAGE);
            return;
        }
        chain.doFilter(request, response);
    }

    /** The token a multipart form must carry in its first part, when this filter left that check to the reader. */
    static Optional<String> pendingCheck(HttpServletRequest request) {
        return Optional.ofNullable((String) request.getAttribute(PENDING_KEY));
    }

    static boolean matches(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8));
    }

    private String issue(HttpServletRequest request, HttpServletResponse response) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Cookie cookie = new Cookie(COOKIE, token);
        cookie.setHttpOnly(true);
        cookie.setSecure(request.isSecure());
        cookie.setPath(request.getContextPath().isEmpty() ? "/" : request.getContextPath());
        cookie.setAttribute("SameSite", "Strict");
        response.addCookie(cookie);
        return token;
    }

    private static Optional<String> cookieToken(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return Optional.empty();
        }
        for (Cookie cookie : cookies) {
            if (COOKIE.equals(cookie.getName()) && cookie.getValue() != null
                    && TOKEN.matcher(cookie.getValue()).matches()) {
                return Optional.of(cookie.getValue());
            }
        }
        return Optional.empty();
    }

    private static boolean isCrossSite(HttpServletRequest request) {
        return isCrossSite(request.getHeader("Sec-Fetch-Site"), request.getHeader("Origin"),
                request.getHeader("Host"), request.getHeader("X-Forwarded-Host"));
    }

    /**
     * Whether a browser says the request comes from another site's page. {@code Sec-Fetch-Site} is the
     * browser's own verdict; older browsers send only {@code Origin}, compared with the host the request
     * was sent to. A forwarded host counts too: a proxy may rewrite {@code Host}, and a page cannot make a
     * browser send {@code X-Forwarded-Host} to another site without that site's consent (CORS), which
     * this app never gives.
     */
    static boolean isCrossSite(String fetchSite, String origin, String host, String forwardedHost) {
        if (fetchSite != null) {
            return !fetchSite.equalsIgnoreCase("same-origin") && !fetchSite.equalsIgnoreCase("none");
        }
        if (origin == null) {
            return false;
        }
        Optional<String> from = authority(origin);
        return from.isEmpty() || !from.equals(authority(origin, host))
                && (forwardedHost == null || !from.equals(authority(origin, forwardedHost.split(",")[0].trim())));
    }

    /** {@code host:port} of an origin, the port spelled out; empty for {@code null} or anything unreadable. */
    private static Optional<String> authority(String origin) {
        try {
            URI uri = new URI(origin);
            if (uri.getHost() == null || uri.getScheme() == null) {
                return Optional.empty();
            }
            int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(uri.getScheme());
            return Optional.of(uri.getHost().toLowerCase(Locale.ROOT) + ":" + port);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    /** {@code host:port} of a Host header, a missing port being the default of the origin's scheme. */
    private static Optional<String> authority(String origin, String host) {
        if (host == null || host.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(origin);
            URI target = new URI(uri.getScheme() + "://" + host);
            return target.getHost() == null || target.getRawPath() != null && !target.getRawPath().isEmpty()
                    ? Optional.empty() : authority(target.toString());
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    private static int defaultPort(String scheme) {
        return "https".equalsIgnoreCase(scheme) ? 443 : 80;
    }

    private static boolean isBearer(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        return authorization != null && authorization.toLowerCase(Locale.ROOT).startsWith("bearer ");
    }

    private static void reject(HttpServletRequest request, HttpServletResponse response, String message)
            throws IOException, ServletException {
        // the body may be large and was not read: do not keep the connection for the next request
        response.setHeader("Connection", "close");
        Rejections.send(request, response, HttpServletResponse.SC_FORBIDDEN, message);
    }
}
