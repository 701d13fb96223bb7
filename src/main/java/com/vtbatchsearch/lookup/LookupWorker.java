package com.vtbatchsearch.lookup;

import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.store.LookupRepository;
import com.vtbatchsearch.store.LookupRepository.LookupState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Takes hashes off the queue one at a time and asks VirusTotal about each, within the rate limit.
 * A hash the database no longer calls pending (answered meanwhile, for another batch or as another
 * hash of the same file) is skipped without a call. The loop never dies: each hash has its own
 * catch-all, infrastructure failures back off with a cap and are logged once per outage, and
 * {@link #stop} ends it within a bound, putting the hash in hand back at the head of the queue.
 */
public final class LookupWorker implements Runnable {
    private static final Logger LOG = Logger.getLogger(LookupWorker.class.getName());
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    /** Timings and limits of the worker; tests shorten them. */
    public record Settings(Duration pollTimeout, Duration rateLimitPause, Duration keyRecheck, Duration retryBase,
            int maxAttempts, Duration refillInterval) {
        public static Settings defaults(Duration retryBase, int maxAttempts) {
            return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(10), retryBase,
                    maxAttempts, Duration.ofSeconds(30));
        }
    }

    private final LookupQueue queue;
    private final LookupRepository lookups;
    private final VirusTotalClient client;
    private final RateLimiter limiter;
    private final LookupStatus status;
    private final Settings settings;
    private final Clock clock;
    private final CountDownLatch finished = new CountDownLatch(1);

    private volatile boolean stopping;
    private volatile Thread thread;
    private volatile String inFlight;
    private boolean outage;
    private int infrastructureFailures;
    private Instant lastRefill = Instant.EPOCH;

    public LookupWorker(LookupQueue queue, LookupRepository lookups, VirusTotalClient client, RateLimiter limiter,
            LookupStatus status, Settings settings, Clock clock) {
        this.queue = queue;
        this.lookups = lookups;
        this.client = client;
        this.limiter = limiter;
        this.status = status;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        LOG.info(() -> "lookup worker started on queue " + queue.describe());
        try {
            while (!stopping) {
                try {
                    step();
                    recovered();
                } catch (InterruptedException e) {
                    if (stopping) {
                        break;
                    }
                } catch (RuntimeException e) {
                    infrastructureFailure(e);
                }
            }
        } finally {
            LOG.info("lookup worker stopped");
            finished.countDown();
        }
    }

    /** Asks the loop to end and waits up to {@code timeout}; true when it ended in time. */
    public boolean stop(Duration timeout) throws InterruptedException {
        requestStop();
        return awaitStop(timeout);
    }

    /**
     * Asks the loop to end: a request in flight is cut short, a wait ends, and the hash in hand goes
     * back to the head of the queue.
     */
    public void requestStop() {
        stopping = true;
        client.abortInFlight();
        Thread running = thread;
        if (running != null) {
            running.interrupt();
        } else {
            finished.countDown();
        }
    }

    /** Waits up to {@code timeout} for the loop to end; true when it did. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        boolean ended = finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            LOG.warning(() -> "lookup worker did not stop within " + timeout.toSeconds() + " s");
        }
        return ended;
    }

    private void step() throws InterruptedException {
        Instant pausedUntil = status.pausedUntil();
        if (pausedUntil != null) {
            sleepUntil(pausedUntil);
            return;
        }
        Optional<String> next = queue.take(settings.pollTimeout());
        if (next.isEmpty()) {
            refillFromDatabase();
            return;
        }
        String hash = next.get();
        inFlight = hash;
        try {
            process(hash);
        } catch (InterruptedException | RuntimeException e) {
            putBack(hash);
            throw e;
        } finally {
            inFlight = null;
        }
    }

    private void process(String hash) throws InterruptedException {
        Optional<LookupState> state = lookups.find(hash);
        if (state.isEmpty() || !state.get().isPending()) {
            return;
        }
        acquirePermit();
        LookupOutcome outcome = client.lookup(hash);
        if (stopping && outcome instanceof LookupOutcome.Failed) {
            putBack(hash); // the request was cut short by the shutdown: not the hash's fault
            return;
        }
        Instant now = clock.instant();
        if (outcome instanceof LookupOutcome.Found found) {
            lookups.saveFound(hash, found.report(), now);
            status.keyAccepted();
        } else if (outcome instanceof LookupOutcome.NotFound) {
            lookups.saveNotFound(hash, now);
            status.keyAccepted();
        } else if (outcome instanceof LookupOutcome.KeyRejected rejected) {
            putBack(hash);
            status.keyRejected(rejected.code());
            status.pause(now.plus(settings.keyRecheck()), "VirusTotal rejected the API key");
            LOG.warning(() -> "VirusTotal rejected the API key (" + rejected.code() + "); lookups paused");
        } else if (outcome instanceof LookupOutcome.RateLimited limited) {
            queue.addAll(List.of(hash));
            status.pause(now.plus(settings.rateLimitPause()), "VirusTotal answered 429 " + limited.code());
            LOG.warning(() -> "VirusTotal answered 429 " + limited.code() + "; " + hash
                    + " back at the tail, lookups paused for " + settings.rateLimitPause().toMillis() + " ms");
        } else if (outcome instanceof LookupOutcome.Failed failed) {
            retryOrGiveUp(hash, state.get(), failed.reason(), now);
        }
    }

    private void retryOrGiveUp(String hash, LookupState state, String reason, Instant now) {
        boolean giveUp = state.attempts() + 1 >= settings.maxAttempts();
        int attempts = lookups.recordFailure(hash, reason, giveUp, now);
        if (giveUp) {
            LOG.warning(() -> "lookup of " + hash + " failed " + attempts + " times, giving up: " + reason);
            return;
        }
        queue.addAll(List.of(hash));
        Duration backoff = backoff(attempts);
        status.pause(now.plus(backoff), "VirusTotal failed to answer, retrying");
        LOG.info(() -> "lookup of " + hash + " failed (attempt " + attempts + "), retrying in "
                + backoff.toMillis() + " ms: " + reason);
    }

    private Duration backoff(int attempts) {
        Duration delay = settings.retryBase().multipliedBy(1L << Math.min(attempts - 1, 20));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    private void acquirePermit() throws InterruptedException {
        while (true) {
            Optional<Instant> nextFree = limiter.tryAcquire();
            if (nextFree.isEmpty()) {
                return;
            }
            if (nextFree.get().isAfter(clock.instant().plus(Duration.ofMinutes(1)))) {
                status.pause(nextFree.get(), "the daily budget of " + limiter.perDay() + " lookups is spent");
            }
            sleepUntil(nextFree.get());
            if (stopping) {
                throw new InterruptedException("stopping");
            }
        }
    }

    /**
     * Puts back pending hashes that are in neither the queue nor in hand: after a restart of the
     * embedded queue, a Redis that came back empty, or a hash dropped by a failure.
     */
    private void refillFromDatabase() {
        Instant now = clock.instant();
        if (now.isBefore(lastRefill.plus(settings.refillInterval()))) {
            return;
        }
        lastRefill = now;
        requeuePending();
    }

    /** Queues every pending hash the queue does not hold; returns how many were added. */
    public int requeuePending() {
        List<String> pending = lookups.pendingHashes();
        if (pending.isEmpty()) {
            return 0;
        }
        Set<String> queued = new HashSet<>(queue.snapshot());
        String current = inFlight;
        List<String> missing = pending.stream()
                .filter(h -> !queued.contains(h) && !h.equals(current))
                .toList();
        if (!missing.isEmpty()) {
            queue.addAll(missing);
            LOG.info(() -> "queued " + missing.size() + " pending lookups the queue did not hold");
        }
        return missing.size();
    }

    private void putBack(String hash) {
        try {
            queue.addFirst(hash);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not put " + hash + " back in the queue; it stays pending in the database"
                    + " and is queued again by the next refill", e);
        }
    }

    private void infrastructureFailure(RuntimeException e) throws RuntimeException {
        infrastructureFailures++;
        if (!outage) {
            outage = true;
            LOG.log(Level.WARNING, "lookup worker hit a failure; retrying with back-off until it clears", e);
        }
        Duration delay = Duration.ofMillis(Math.min(30_000L, 250L << Math.min(infrastructureFailures, 7)));
        try {
            sleepUntil(clock.instant().plus(delay));
        } catch (InterruptedException interrupted) {
            if (!stopping) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void recovered() {
        if (outage) {
            outage = false;
            LOG.info(() -> "lookup worker recovered after " + infrastructureFailures + " failed attempts");
        }
        infrastructureFailures = 0;
    }

    private void sleepUntil(Instant until) throws InterruptedException {
        long millis = Duration.between(clock.instant(), until).toMillis();
        if (millis > 0) {
            Thread.sleep(Math.min(millis, 1_000));
        }
    }
}
