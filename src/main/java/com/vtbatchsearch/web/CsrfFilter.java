package com.vtbatchsearch.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
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
 * A POST of a URL-encoded form is checked here; a multipart upload is checked by {@link UploadParser}
 * against its first part, since reading the body here would defeat streaming.
 *
 * <p>The JSON API is exempt when the request rides on no live session (the only credential a browser
 * adds by itself: a sign-in when ACCESS_TOKEN is set), or carries a bearer token: CSRF abuses such a
 * credential, and a request without one could be sent without a victim's browser just as well. An API
 * call that does ride on a session must repeat the token in an {@code X-CSRF-Token} header, which no
 * cross-site form can set.
 */
public final class CsrfFilter extends HttpFilter {
    public static final String FIELD = "csrf";
    static final String HEADER = "X-CSRF-Token";
    static final String COOKIE = "vtbs-csrf";
    private static final String PENDING_KEY = CsrfFilter.class.getName() + ".pending";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");
    static final String MESSAGE = "This form has expired or was not sent from this site. Reload the page and try again.";

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
            if (isBearer(request) || request.getSession(false) == null
                    || cookie.isPresent() && matches(cookie.get(), request.getHeader(HEADER))) {
                chain.doFilter(request, response);
            } else {
                reject(request, response);
            }
            return;
        }
        if (cookie.isEmpty()) {
            reject(request, response);
            return;
        }
        // a rejected form is shown again with a fresh field: the same token
        request.setAttribute(FIELD, new PageToken(cookie.get()));
        if (UploadParser.isMultipart(request)) {
            request.setAttribute(PENDING_KEY, cookie.get());
            chain.doFilter(request, response);
            return;
        }
        if (!matches(cookie.get(), request.getParameter(FIELD))) {
            reject(request, response);
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

    private static boolean isBearer(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        return authorization != null && authorization.toLowerCase(Locale.ROOT).startsWith("bearer ");
    }

    private static void reject(HttpServletRequest request, HttpServletResponse response)
            throws IOException, ServletException {
        // the body may be large and was not read: do not keep the connection for the next request
        response.setHeader("Connection", "close");
        Rejections.send(request, response, HttpServletResponse.SC_FORBIDDEN, MESSAGE);
    }
}
