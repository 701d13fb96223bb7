package com.vtbatchsearch.queue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Whose turn it is: a rotation of the batches with open lookups, each batch holding at most one place,
 * so a small batch is not stuck behind a large one and the queue's size grows with the number of
 * batches, never with the number of hashes. The database holds each lookup's state and which hashes
 * a batch still needs; the queue only says which batch goes next and where in its upload order its
 * last turn left off (its cursor), so a queue that lost its contents is rebuilt from the database.
 *
 * <p>A worker {@link #take}s a batch's turn, asks the database for that batch's next open hash after
 * the cursor, claims it ({@link #tryClaim}: one worker at a time per hash, even when several batches
 * hold it) and {@link #start}s the lookup, which puts the batch back at the tail of the rotation at
 * once so other workers can serve its next hashes meanwhile. A taken turn, and then the lookup it
 * started, stays recorded as in progress until {@link #pass}, {@link #ack} or {@link #requeue}; if the
 * process dies first, {@link #recoverAbandoned} gives the batch its place back.
 */
public interface LookupQueue extends AutoCloseable {

    /** A batch's turn: {@code after} is the upload position its previous turn took (-1: from the start). */
    record Turn(String batchId, int after) {
    }

    /**
     * Gives a batch its place at the tail of the rotation unless it has one, and has its next turn
     * start from its first open lookup (a refresh may have opened lookups before the cursor).
     */
    void enqueue(String batchId);

    /**
     * Gives each of these batches a place at the tail of the rotation unless it has one, keeping the
     * cursors of those that have; returns how many were added.
     */
    int reconcile(List<String> batchIds);

    /** Takes the next batch's turn, waiting up to {@code timeout}; empty when none came. */
    Optional<Turn> take(Duration timeout) throws InterruptedException;

    /**
     * The turn picked the hash at {@code position} of its batch: the lookup is recorded as in progress
     * in place of the turn, and the batch goes back to the tail of the rotation with its cursor there.
     */
    QueuedLookup start(Turn turn, String hash, int position);

    /**
     * The turn found nothing to look up now. With {@code stillOpen} (its open lookups are all in other
     * workers' hands) the batch goes back to the tail, its next turn starting from the first open lookup;
     * otherwise it leaves the rotation.
     */
    void pass(Turn turn, boolean stillOpen);

    /** The lookup is dealt with (its result committed, or nothing was needed). */
    void ack(QueuedLookup entry);

    /**
     * The lookup is still open: its batch keeps (or gets back) its place, and with {@code atHead} the
     * batch's next turn picks this hash first; otherwise it comes after the batch's other open lookups.
     */
    void requeue(QueuedLookup entry, boolean atHead);

    /**
     * Claims a hash for one lookup for {@code ttl}; false when another worker holds it. A claim is
     * renewed by claiming again and ends with {@link #release} or when it expires.
     */
    boolean tryClaim(String hash, String owner, Duration ttl);

    void release(String hash, String owner);

    /** Tells others this process is alive (its entries in progress are not abandoned). */
    void heartbeat();

    /**
     * Gives back their places to the batches whose turns or lookups were left in progress by processes
     * that died, or were stranded (never acknowledged) longer than a bound by live ones; returns how many
     * entries were recovered.
     */
    int recoverAbandoned();

    /**
     * True when the queue cannot vouch for its contents: it is new, or its store lost its data (a
     * Redis restarted empty). The owner then refills it from the database and calls {@link #markFilled}.
     */
    boolean needsRefill();

    void markFilled();

    /** Batches waiting for a turn (not counting turns in progress). */
    long size();

    /** True when the batch has a place in the rotation. */
    boolean isQueued(String batchId);

    /** A short description for logs and health, never containing credentials. */
    String describe();

    @Override
    void close();
}
