package com.vtbatchsearch.queue;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * The hashes waiting for a VirusTotal lookup, in order. It only says what to look at next: the
 * database holds each lookup's state, so a hash queued twice is looked up once, and a queue that lost
 * its contents is refilled from the database.
 */
public interface LookupQueue extends AutoCloseable {

    /** Appends hashes at the tail, in the given order. */
    void addAll(Collection<String> hashes);

    /** Puts a hash back at the head, to be the next one taken. */
    void addFirst(String hash);

    /** Takes the hash at the head, waiting up to {@code timeout} for one; empty when none came. */
    Optional<String> take(Duration timeout) throws InterruptedException;

    long size();

    /** Every hash in the queue now; used to refill it from the database without duplicates. */
    Set<String> snapshot();

    /** A short human description for logs and health, never containing credentials. */
    String describe();

    @Override
    void close();
}
