package com.vtbatchsearch.batch;

import java.util.List;
import java.util.Map;

/**
 * What an upload contained: the distinct hashes in order of first appearance, with their types, how many
 * hashes were found in all (duplicates included), and for each distinct hash the line it first came from
 * ({@link HashExtractor#CONTEXT_LENGTH} characters at most, the hash marked).
 */
public record ExtractedHashes(Map<String, HashType> distinct, long found, Map<String, String> contexts) {

    /** Hashes known without the text they came from. */
    public ExtractedHashes(Map<String, HashType> distinct, long found) {
        this(distinct, found, Map.of());
    }

    public int unique() {
        return distinct.size();
    }

    public List<String> hashes() {
        return List.copyOf(distinct.keySet());
    }

    public long count(HashType type) {
        return distinct.values().stream().filter(type::equals).count();
    }

    /** The line {@code hash} first came from, or null when it is not known. */
    public String context(String hash) {
        return contexts.get(hash);
    }
}
