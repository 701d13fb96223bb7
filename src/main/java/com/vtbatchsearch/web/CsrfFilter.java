package com.vtbatchsearch.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Synchronizer-token CSRF protection for every browser form. The token lives in the session; pages
 * with a form render it from the request attribute {@code csrf} as a hidden input named {@code csrf}
 * (the session is only created when a page asks for the token). A POST of a URL-encoded form is
 * checked here; a multipart upload is checked by {@link UploadParser} against its first part, since
 * reading the body here would defeat streaming.
 *
 * <p>The JSON API is exempt when the request rides on no live session (no cookie, or one for a session
 * that expired or belongs to a server that restarted), or carries a bearer token: CSRF abuses the
 * session a browser's cookie names, and such a request has none to abuse; whoever can send it could
 * send it without a victim's browser just as well. An API call that does ride on a
 * session cookie must repeat the token in an {@code X-CSRF-Token} header, which no cross-site form can set.
 */
public final class CsrfFilter extends HttpFilter {
    public static final String FIELD = "csrf";
    static final String HEADER = "X-CSRF-Token";
    private static final String SESSION_KEY = CsrfFilter.class.getName() + ".token";
    private static final String PENDING_KEY = CsrfFilter.class.getName() + ".pending";
    static final String MESSAGE = "This form has expired or was not sent from this site. Reload the page and try again.";

    private final SecureRandom random = new SecureRandom();

    /** What a page reads as {@code ${csrf.token}}; creates the session and its token on first use. */
    public final class PageToken {
        private final HttpServletRequest request;

        PageToken(HttpServletRequest request) {
            this.request = request;
        }

        public String getToken() {
            HttpSession session = request.getSession(true);
            synchronized (session) {
                String token = (String) session.getAttribute(SESSION_KEY);
                if (token == null) {
                    byte[] bytes = new byte[32];
                    random.nextBytes(bytes);
                    token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                    session.setAttribute(SESSION_KEY, token);
                }
                return token;
            }
        }
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        request.setAttribute(FIELD, new PageToken(request));
        String method = request.getMethod();
        if (request.getDispatcherType() == DispatcherType.ERROR || "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method)) {
            chain.doFilter(request, response);
            return;
        }
        Optional<String> expected = sessionToken(request);
        if (Rejections.isApi(request)) {
            if (isBearer(request) || expected.isEmpty() || matches(expected.get(), request.getHeader(HEADER))) {
                chain.doFilter(request, response);
            } else {
                reject(request, response);
            }
            return;
        }
        if (expected.isEmpty()) {
            reject(request, response);
            return;
        }
        if (UploadParser.isMultipart(request)) {
            request.setAttribute(PENDING_KEY, expected.get());
            chain.doFilter(request, response);
            return;
        }
        if (!matches(expected.get(), request.getParameter(FIELD))) {
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

    private static Optional<String> sessionToken(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        return session == null ? Optional.empty() : Optional.ofNullable((String) session.getAttribute(SESSION_KEY));
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
