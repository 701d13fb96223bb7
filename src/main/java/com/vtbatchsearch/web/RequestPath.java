package com.vtbatchsearch.web;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;

/**
 * The path a request asks for inside the app, as the container maps it to a servlet: decoded, with dot
 * segments resolved, {@code ;} parameters dropped and doubled slashes merged. Every decision by path
 * (access, CSRF, headers, JSON or page) is made on this path, never on the raw {@code getRequestURI()},
 * since the container serves the normalised path: {@code /static/../api/batches} is {@code /api/batches}.
 * A request whose raw path is not already the canonical spelling of what it maps to is refused, so no
 * spelling can mean one thing to a check and another to the container.
 */
final class RequestPath {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private RequestPath() {
    }

    /** The path inside the app, without the context path: servlet path plus path info. */
    static String of(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return request.getServletPath() + (pathInfo == null ? "" : pathInfo);
    }

    /** Whether the raw request URI is exactly the canonical spelling of the path the container maps. */
    static boolean isCanonical(HttpServletRequest request) {
        return isCanonical(request.getRequestURI(), request.getServletContext().getContextPath() + of(request));
    }

    /**
     * Whether {@code raw} (undecoded, as sent) is the canonical spelling of the decoded path
     * {@code decoded}: every byte that is not an unreserved character, a slash or a harmless
     * sub-delimiter percent-encoded (hex digits in either case), and nothing else encoded. A dot segment,
     * a {@code ;} parameter, a doubled slash or an encoded letter or dot all make the spellings differ.
     */
    static boolean isCanonical(String raw, String decoded) {
        return raw != null && upperCaseEscapes(raw).equals(encode(decoded));
    }

    static String encode(String decoded) {
        StringBuilder out = new StringBuilder(decoded.length());
        for (byte b : decoded.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (isLiteral(c)) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    /** Unreserved characters, the slash, and the sub-delimiters the container gives no meaning in a path (not {@code ;}). */
    private static boolean isLiteral(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~/!$&'()*+,=:@".indexOf(c) >= 0;
    }

    private static String upperCaseEscapes(String raw) {
        StringBuilder out = new StringBuilder(raw);
        for (int i = raw.indexOf('%'); i >= 0 && i + 2 < raw.length(); i = raw.indexOf('%', i + 1)) {
            out.setCharAt(i + 1, Character.toUpperCase(raw.charAt(i + 1)));
            out.setCharAt(i + 2, Character.toUpperCase(raw.charAt(i + 2)));
        }
        return out.toString();
    }
}
