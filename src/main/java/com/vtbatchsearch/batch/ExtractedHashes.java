package com.vtbatchsearch.batch;

import java.util.List;
import java.util.Map;

/**
 * What an upload contained: the distinct hashes in order of first appearance, with their types, and
 * how many hashes were found in all (duplicates included).
 */
public record ExtractedHashes(Map<String, HashType> distinct, long found) {

    public int unique() {
        return distinct.size();
    }

    public List<String> hashes() {
        return List.copyOf(distinct.keySet());
    }

    public long count(HashType type) {
        return distinct.values().stream().filter(type::equals).count();
    }
}
