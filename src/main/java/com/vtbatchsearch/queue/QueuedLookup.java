package com.vtbatchsearch.queue;

/** One entry of the queue: a hash to look up on behalf of a batch. */
public record QueuedLookup(String batchId, String hash) {

    /** The form stored in Redis lists: {@code "<batch id> <hash>"}. */
    String encode() {
        return batchId + " " + hash;
    }

    static QueuedLookup decode(String entry) {
        int space = entry.indexOf(' ');
        return new QueuedLookup(entry.substring(0, space), entry.substring(space + 1));
    }
}
