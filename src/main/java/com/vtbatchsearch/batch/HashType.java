package com.vtbatchsearch.batch;

import java.util.Optional;

/** The three kinds of file hash VirusTotal answers for, told apart by their length in hex digits. */
public enum HashType {
    MD5(32), SHA1(40), SHA256(64);

    private final int length;

    HashType(int length) {
        this.length = length;
    }

    public int length() {
        return length;
    }

    public String label() {
        return switch (this) {
            case MD5 -> "MD5";
            case SHA1 -> "SHA-1";
            case SHA256 -> "SHA-256";
        };
    }

    public static Optional<HashType> ofLength(int length) {
        return switch (length) {
            case 32 -> Optional.of(MD5);
            case 40 -> Optional.of(SHA1);
            case 64 -> Optional.of(SHA256);
            default -> Optional.empty();
        };
    }

    /** The type of a well-formed lower-case hash, or empty when the text is not one. */
    public static Optional<HashType> of(String hash) {
        if (hash == null) {
            return Optional.empty();
        }
        for (int i = 0; i < hash.length(); i++) {
            char c = hash.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return Optional.empty();
            }
        }
        return ofLength(hash.length());
    }
}
