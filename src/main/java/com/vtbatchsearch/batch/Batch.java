package com.vtbatchsearch.batch;

import java.time.Instant;

/** One upload: a random id, when it was made, how many hashes it held in all and how many distinct. */
public final class Batch {
    private final String id;
    private final Instant createdAt;
    private final long found;
    private final int unique;

    public Batch(String id, Instant createdAt, long found, int unique) {
        this.id = id;
        this.createdAt = createdAt;
        this.found = found;
        this.unique = unique;
    }

    public String getId() {
        return id;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public long getFound() {
        return found;
    }

    public int getUnique() {
        return unique;
    }
}
