package com.vtbatchsearch.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lookups waiting to be made, one line per batch, served in turns: each take goes to the next
 * batch with work, so a small batch is not stuck behind a large one. It only says what to look at
 * next: the database holds each lookup's state, so an entry for a hash answered meanwhile is simply
 * acknowledged, and a queue that lost its contents is refilled from the database.
 *
 * <p>A taken entry stays recorded as in progress until {@link #ack} or {@link #requeue}; if the
 * process dies first, {@link #recoverAbandoned} puts it back. {@link #tryClaim} makes sure one hash
 * is asked about by one worker at a time, even when it is queued for several batches.
 */
public interface LookupQueue extends AutoCloseable {

    /** Appends hashes to a batch's line, in order; the batch joins the rotation if it was not in it. */
    void enqueue(String batchId, List<String> hashes);

    /** Takes the next entry in turn, waiting up to {@code timeout}; empty when none came. */
    Optional<QueuedLookup> take(Duration timeout) throws InterruptedException;

    /** The entry is dealt with (its result committed, or nothing was needed). */
    void ack(QueuedLookup entry);

    /** Puts a taken entry back: at the head of its batch's line, or at the tail. */
    void requeue(QueuedLookup entry, boolean atHead);

    /**
     * Claims a hash for one lookup for {@code ttl}; false when another worker holds it. A claim is
     * renewed by claiming again and ends with {@link #release} or when it expires.
     */
    boolean tryClaim(String hash, String owner, Duration ttl);

    void release(String hash, String owner);

    /** Tells others this process is alive (its entries in progress are not abandoned). */
    void heartbeat();

    /** Puts back entries taken by processes that died; returns how many. */
    int recoverAbandoned();

    /**
     * True when the queue cannot vouch for its contents: it is new, or its store lost its data (a
     * Redis restarted empty). The owner then refills it from the database and calls {@link #markFilled}.
     */
    boolean needsRefill();

    void markFilled();

    /** Entries waiting (not in progress), over all batches. */
    long size();

    /** Entries waiting per batch, in turn order. */
    Map<String, Long> lengths();

    /** A short description for logs and health, never containing credentials. */
    String describe();

    @Override
    void close();
}
