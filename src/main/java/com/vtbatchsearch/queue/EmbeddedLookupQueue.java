package com.vtbatchsearch.queue;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/** The in-process queue of a single instance; its contents are rebuilt from the database at start-up. */
public final class EmbeddedLookupQueue implements LookupQueue {
    private final LinkedBlockingDeque<String> deque = new LinkedBlockingDeque<>();

    @Override
    public void addAll(Collection<String> hashes) {
        deque.addAll(hashes);
    }

    @Override
    public void addFirst(String hash) {
        deque.addFirst(hash);
    }

    @Override
    public Optional<String> take(Duration timeout) throws InterruptedException {
        return Optional.ofNullable(deque.pollFirst(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public long size() {
        return deque.size();
    }

    @Override
    public Set<String> snapshot() {
        return new LinkedHashSet<>(deque);
    }

    @Override
    public String describe() {
        return "embedded";
    }

    @Override
    public void close() {
        deque.clear();
    }
}
