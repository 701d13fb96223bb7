package com.vtbatchsearch.queue;

/** A lookup in progress: a hash looked up on behalf of a batch, at its position in the batch's upload order. */
public record QueuedLookup(String batchId, String hash, int position) {

    /** The form stored in Redis: {@code "<batch id> <position> <hash>"}. */
    String encode() {
        return batchId + " " + position + " " + hash;
    }
}
