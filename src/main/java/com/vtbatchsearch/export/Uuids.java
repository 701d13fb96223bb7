package com.vtbatchsearch.export;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Name-based UUIDs (version 5, SHA-1, RFC 9562): the same name always gives the same id, so exporting a
 * report again names the same objects and a platform that imports it updates them instead of adding copies.
 */
public final class Uuids {
    /** RFC 9562's namespace for URLs. */
    public static final UUID NAMESPACE_URL = UUID.fromString("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
    /** The namespace of every id the exports make: version 5 of {@code urn:vt-batch-search} in the URL namespace. */
    public static final UUID NAMESPACE = v5(NAMESPACE_URL, "urn:vt-batch-search");

    private Uuids() {
    }

    /** The version-5 UUID of {@code name} in {@code namespace}. */
    public static UUID v5(UUID namespace, String name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
        sha1.update(ByteBuffer.allocate(16).putLong(namespace.getMostSignificantBits())
                .putLong(namespace.getLeastSignificantBits()).array());
        byte[] hash = sha1.digest(name.getBytes(StandardCharsets.UTF_8));
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
        ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(bytes.getLong(), bytes.getLong());
    }

    /** The version-5 UUID of {@code name} in the exports' {@link #NAMESPACE}. */
    public static UUID of(String name) {
        return v5(NAMESPACE, name);
    }
}
