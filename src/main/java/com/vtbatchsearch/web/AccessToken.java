package com.vtbatchsearch.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The instance's access token, held only as its SHA-256 digest and compared in constant time, so
 * neither the time an answer takes nor the token's length tells a guesser anything. Never printed.
 */
public final class AccessToken {
    private final byte[] digest;

    public AccessToken(String token) {
        this.digest = sha256(token);
    }

    public boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(digest, sha256(candidate));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "AccessToken[(set)]";
    }
}
