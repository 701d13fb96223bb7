package com.vtbatchsearch.lookup;

import com.vtbatchsearch.lookup.LookupRepository.LookupState;
import com.vtbatchsearch.lookup.LookupRepository.OpenLookup;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.queue.QueuedLookup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One lookup worker: takes batches' turns off the queue, picks each turn's next open hash from the
 * database, and asks VirusTotal about it within the shared rate limit. A call is made only for an
 * open question: a turn picks only hashes the database calls open and no other worker has claimed,
 * and a hash answered meanwhile (for another batch, or as another hash of the same file) is
 * acknowledged without a call. The loop never dies: each entry has its own catch-all,
 * infrastructure failures back off with a cap and are logged once per outage, and
 * {@link #requestStop} ends it promptly, making the hash in hand its batch's next again.
 */
public final class LookupWorker implements Runnable {
    private static final Logger LOG = Logger.getLogger(LookupWorker.class.getName());
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final Duration MAX_NAP = Duration.ofSeconds(1);
    private static final Duration CLAIMED_ELSEWHERE_WAIT = Duration.ofMillis(200);
    /** Open hashes of a batch read at once when its turn picks one: more than the workers that may hold some. */
    private static final int PICK_PAGE = 64;

    /** Timings and limits of the workers; tests shorten them. */
    public record Settings(Duration pollTimeout, Duration rateLimitPause, Duration keyRecheck, Duration retryBase,
            int maxAttempts, Duration claimTtl) {
        public static Settings defaults(Duration requestTimeout, Duration retryBase, int maxAttempts) {
            return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(10), retryBase,
                    maxAttempts, claimTtl(requestTimeout));
        }

        /** Longer than one lookup can take, so a live worker's claim never lapses mid-request. */
        public static Duration claimTtl(Duration requestTimeout) {
            return requestTimeout.multipliedBy(2).plusSeconds(30);
        }
    }

    private final String name;
    private final LookupQueue queue;
    private final LookupRepository lookups;
    private final VirusTotalClient client;
    private final RateLimiter limiter;
    private final LookupStatus status;
    private final QueueMaintenance maintenance;
    private final Settings settings;
    private final Clock clock;
    private final CountDownLatch finished = new CountDownLatch(1);

    private volatile boolean stopping;
    private volatile Thread thread;
    private boolean outage;
    private int infrastructureFailures;

    public LookupWorker(String name, LookupQueue queue, LookupRepository lookups, VirusTotalClient client,
            RateLimiter limiter, LookupStatus status, QueueMaintenance maintenance, Settings settings, Clock clock) {
        this.name = name;
        this.queue = queue;
        this.lookups = lookups;
        this.client = client;
        this.limiter = limiter;
        this.status = status;
        this.maintenance = maintenance;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        LOG.info(() -> name + " started on queue " + queue.describe());
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
            LOG.info(() -> name + " stopped");
            finished.countDown();
        }
    }

    /** Asks the loop to end and waits up to {@code timeout}; true when it ended in time. */
    public boolean stop(Duration timeout) throws InterruptedException {
        requestStop();
        return awaitStop(timeout);
    }

    /**
     * Asks the loop to end: a request in flight is cut short, a wait ends, and the entry in hand goes
     * back to the head of its batch's line.
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

    /** True while the loop runs. */
    public boolean isRunning() {
        return thread != null && finished.getCount() > 0;
    }

    /** Waits up to {@code timeout} for the loop to end; true when it did. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        boolean ended = finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            LOG.warning(() -> name + " did not stop within " + timeout.toSeconds() + " s");
        }
        return ended;
    }

    private void step() throws InterruptedException {
        maintenance.maintain();
        Optional<QueuedLookup> next = nextLookup();
        if (next.isEmpty()) {
            return;
        }
        QueuedLookup entry = next.get();
        Disposal disposal;
        try {
            disposal = handle(entry);
        } catch (InterruptedException | RuntimeException e) {
            putBack(entry, true);
            throw e;
        }
        // The claim is released by now, so whoever takes the entry next can claim the hash.
        disposal.apply(queue, entry);
        if (!disposal.delay().isZero()) {
            sleepUntil(clock.instant().plus(disposal.delay()));
        }
    }

    /**
     * Takes the next batch's turn and claims the batch's next open hash after its cursor that no other
     * worker holds, going round to the batch's first open hash at the end. The batch goes back to the
     * tail of the rotation at once, so other workers serve its next hashes meanwhile; a batch with no
     * open hash left leaves the rotation, and one whose open hashes are all in other hands waits its
     * next turn.
     */
    private Optional<QueuedLookup> nextLookup() throws InterruptedException {
        Optional<LookupQueue.Turn> taken = queue.take(settings.pollTimeout());
        if (taken.isEmpty()) {
            return Optional.empty();
        }
        LookupQueue.Turn turn = taken.get();
        OpenLookup picked = null;
        boolean open;
        try {
            Pick pick = claimNext(turn.batchId(), turn.after());
            if (pick.claimed() == null && turn.after() >= 0) {
                pick = claimNext(turn.batchId(), -1).or(pick);
            }
            picked = pick.claimed();
            open = pick.sawOpen();
            if (picked != null) {
                return Optional.of(queue.start(turn, picked.hash(), picked.position()));
            }
        } catch (RuntimeException e) {
            giveBackQuietly(turn, picked);
            throw e;
        }
        queue.pass(turn, open);
        if (open) {
            sleepUntil(clock.instant().plus(CLAIMED_ELSEWHERE_WAIT));
        }
        return Optional.empty();
    }

    /** A batch's open hash claimed by this worker (or none), and whether any open hash was seen. */
    private record Pick(OpenLookup claimed, boolean sawOpen) {
        Pick or(Pick earlier) {
            return new Pick(claimed, sawOpen || earlier.sawOpen());
        }
    }

    private Pick claimNext(String batchId, int after) {
        boolean sawOpen = false;
        while (true) {
            List<OpenLookup> page = lookups.openLookups(batchId, after, PICK_PAGE);
            for (OpenLookup candidate : page) {
                sawOpen = true;
                if (queue.tryClaim(candidate.hash(), name, settings.claimTtl())) {
                    return new Pick(candidate, true);
                }
            }
            if (page.size() < PICK_PAGE) {
                return new Pick(null, sawOpen);
            }
            after = page.get(page.size() - 1).position();
        }
    }

    /** After a failure while picking: the hash's claim is released and the batch keeps its place. */
    private void giveBackQuietly(LookupQueue.Turn turn, OpenLookup picked) {
        try {
            if (picked != null) {
                queue.release(picked.hash(), name);
            }
            queue.pass(turn, true);
        } catch (RuntimeException e) {
            // the queue is unreachable: the claim expires, and the turn stays in progress until it is
            // given back as stranded or the maintenance reconciles the queue with the database
        }
    }

    /** What becomes of an entry once its hash's claim is released, and how long this worker then waits. */
    private record Disposal(Kind kind, Duration delay) {
        enum Kind { ACK, HEAD, TAIL }

        static final Disposal ACK = new Disposal(Kind.ACK, Duration.ZERO);
        static final Disposal HEAD = new Disposal(Kind.HEAD, Duration.ZERO);

        static Disposal tail(Duration delay) {
            return new Disposal(Kind.TAIL, delay);
        }

        void apply(LookupQueue queue, QueuedLookup entry) {
            switch (kind) {
                case ACK -> queue.ack(entry);
                case HEAD -> queue.requeue(entry, true);
                case TAIL -> queue.requeue(entry, false);
            }
        }
    }

    private Disposal handle(QueuedLookup entry) throws InterruptedException {
        String hash = entry.hash();
        if (!needsLookup(hash)) {
            queue.release(hash, name); // claimed when the turn picked it
            return Disposal.ACK;
        }
        if (!queue.tryClaim(hash, name, settings.claimTtl())) {
            // Another worker is asking right now. Keep the entry: should that lookup fail and be put
            // back, this batch still needs the answer. A short wait keeps the two from spinning.
            return Disposal.tail(CLAIMED_ELSEWHERE_WAIT);
        }
        try {
            // Read again under the claim: a worker that answered just now released its claim after its commit.
            Optional<LookupState> state = lookups.find(hash);
            if (state.isEmpty() || !state.get().needsLookup()) {
                return Disposal.ACK;
            }
            waitForPermit(hash);
            Instant sent = clock.instant();
            LookupOutcome outcome = client.lookup(hash);
            if (stopping && outcome instanceof LookupOutcome.Failed) {
                return Disposal.HEAD; // cut short by the shutdown: not the hash's fault
            }
            return settle(entry, state.get(), outcome, sent);
        } finally {
            queue.release(hash, name);
        }
    }

    private boolean needsLookup(String hash) {
        return lookups.find(hash).map(LookupState::needsLookup).orElse(false);
    }

    /**
     * Applies the outcome of a call. An answer (found or not found) has been paid for, so one that
     * cannot be stored is kept and stored again after a back-off, under the claim, never asked for
     * again: the first failure is taken for a passing one, each further one counts as a failed attempt,
     * and when the attempts run out the lookup ends as an error instead of costing a call on every turn.
     * While even a failed attempt cannot be recorded (the database is away) the answer is held.
     */
    private Disposal settle(QueuedLookup entry, LookupState state, LookupOutcome outcome, Instant sent)
            throws InterruptedException {
        if (!(outcome instanceof LookupOutcome.Found || outcome instanceof LookupOutcome.NotFound)) {
            return apply(entry, state, outcome, sent);
        }
        String hash = entry.hash();
        int failures = 0;
        int counted = 0;
        while (true) {
            try {
                return apply(entry, state, outcome, sent);
            } catch (RuntimeException e) {
                if (stopping) {
                    throw e;
                }
                failures++;
                String reason = "VirusTotal answered, but the answer could not be stored: " + describe(e);
                if (failures == 1) {
                    LOG.warning(() -> "batch " + entry.batchId() + ": " + reason + "; keeping it and trying again");
                } else {
                    boolean giveUp = state.attempts() + counted + 1 >= settings.maxAttempts();
                    if (countStoreFailure(hash, reason, giveUp)) {
                        counted++;
                        if (giveUp) {
                            LOG.warning(() -> "batch " + entry.batchId() + ": " + hash + " ends as an error: "
                                    + reason);
                            return Disposal.ACK;
                        }
                    }
                }
                waitHoldingClaim(hash, clock.instant().plus(backoff(failures)));
            }
        }
    }

    /** Records a failed attempt to store an answer; false when even that cannot be stored now. */
    private boolean countStoreFailure(String hash, String reason, boolean giveUp) {
        try {
            lookups.recordFailure(hash, reason, giveUp, clock.instant());
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String describe(RuntimeException e) {
        return e.getCause() == null || e.getCause().getMessage() == null ? String.valueOf(e.getMessage())
                : e.getMessage() + " (" + e.getCause().getMessage() + ")";
    }

    /** Sleeps until {@code until} in naps of at most a second, keeping the hash's claim and the heartbeat alive. */
    private void waitHoldingClaim(String hash, Instant until) throws InterruptedException {
        while (clock.instant().isBefore(until)) {
            Instant nap = clock.instant().plus(MAX_NAP);
            sleepUntil(until.isBefore(nap) ? until : nap);
            if (stopping) {
                throw new InterruptedException("stopping");
            }
            try {
                queue.tryClaim(hash, name, settings.claimTtl());
                queue.heartbeat();
            } catch (RuntimeException e) {
                // the queue is away: the claim may lapse, which costs at most a second call
            }
        }
    }

    private Disposal apply(QueuedLookup entry, LookupState state, LookupOutcome outcome, Instant sent) {
        String hash = entry.hash();
        Instant now = clock.instant();
        if (outcome instanceof LookupOutcome.Found found) {
            lookups.saveFound(hash, found.report(), now);
            status.answered();
            return Disposal.ACK;
        }
        if (outcome instanceof LookupOutcome.NotFound) {
            lookups.saveNotFound(hash, now);
            status.answered();
            return Disposal.ACK;
        }
        if (outcome instanceof LookupOutcome.KeyRejected rejected) {
            status.keyRejected(rejected.code());
            limiter.pauseUntil(now.plus(settings.keyRecheck()), "VirusTotal rejected the API key ("
                    + rejected.code() + ")");
            LOG.warning(() -> "VirusTotal rejected the API key (" + rejected.code() + "); lookups paused");
            return Disposal.HEAD;
        }
        if (outcome instanceof LookupOutcome.RateLimited limited) {
            rateLimited(limited, sent, now, entry);
            return Disposal.tail(Duration.ZERO);
        }
        LookupOutcome.Failed failed = (LookupOutcome.Failed) outcome;
        status.failed(failed.reason());
        return retryOrGiveUp(entry, state, failed.reason(), now);
    }

    /**
     * A 429 pauses every lookup for at least a minute, and at least as long as its {@code Retry-After}
     * asks. It also has the key's quota read from VirusTotal again, which pauses until the period's end
     * when the day, hour or month is spent. A quota error that comes back on the first calls after such
     * pauses means the daily quota is spent: lookups pause until 00:00 UTC.
     */
    private void rateLimited(LookupOutcome.RateLimited limited, Instant sent, Instant now, QueuedLookup entry) {
        try {
            limiter.recheck();
        } catch (RuntimeException e) {
            // VirusTotal's counts stay unknown: the 429 alone decides the pause
        }
        boolean daily = limiter.usedToday() >= limiter.perDay()
                || status.quotaErrorAfterPause(limited.code(), sent) && status.quotaStreak() >= 3;
        if (daily) {
            limiter.exhaustToday();
            limiter.pauseUntil(RateLimiter.startOfNextUtcDay(now), "VirusTotal says the daily quota is spent ("
                    + limited.code() + ")");
        } else {
            Duration wait = limited.retryAfter() != null && limited.retryAfter().compareTo(settings.rateLimitPause()) > 0
                    ? limited.retryAfter() : settings.rateLimitPause();
            limiter.pauseUntil(now.plus(wait), "VirusTotal answered 429 " + limited.code()
                    + (limited.retryAfter() == null ? "" : " (Retry-After " + limited.retryAfter().toSeconds() + " s)"));
        }
        status.quotaPauseSet(limiter.pause().map(RateLimiter.Pause::until).orElse(now));
        LOG.warning(() -> "batch " + entry.batchId() + ": VirusTotal answered 429 " + limited.code() + " for "
                + entry.hash() + "; back at the tail, lookups paused" + (daily ? " until 00:00 UTC" : ""));
    }

    private Disposal retryOrGiveUp(QueuedLookup entry, LookupState state, String reason, Instant now) {
        String hash = entry.hash();
        boolean giveUp = state.attempts() + 1 >= settings.maxAttempts();
        int attempts = lookups.recordFailure(hash, reason, giveUp, now);
        if (giveUp) {
            LOG.warning(() -> "batch " + entry.batchId() + ": lookup of " + hash + " failed " + attempts
                    + " times, giving up: " + reason);
            return Disposal.ACK;
        }
        Duration backoff = backoff(attempts);
        LOG.info(() -> "batch " + entry.batchId() + ": lookup of " + hash + " failed (attempt " + attempts
                + "), retrying after " + backoff.toMillis() + " ms: " + reason);
        return Disposal.tail(backoff);
    }

    private Duration backoff(int attempts) {
        Duration delay = settings.retryBase().multipliedBy(1L << Math.min(Math.max(attempts - 1, 0), 20));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    /** Waits exactly until the limiter hands out a permit, keeping the claim and heartbeat alive. */
    private void waitForPermit(String hash) throws InterruptedException {
        while (true) {
            Optional<Instant> nextFree = limiter.tryAcquire();
            if (nextFree.isEmpty()) {
                return;
            }
            Instant until = nextFree.get();
            Instant nap = clock.instant().plus(MAX_NAP);
            sleepUntil(until.isBefore(nap) ? until : nap);
            if (stopping) {
                throw new InterruptedException("stopping");
            }
            if (until.isAfter(nap)) {
                queue.tryClaim(hash, name, settings.claimTtl());
                queue.heartbeat();
            }
        }
    }

    private void putBack(QueuedLookup entry, boolean atHead) {
        try {
            queue.requeue(entry, atHead);
        } catch (RuntimeException e) {
            LOG.warning(() -> "could not put " + entry.hash() + " back in the queue (" + e + "); it stays open in"
                    + " the database and its batch gets its place back when the queue is reconciled");
        }
    }

    private void infrastructureFailure(RuntimeException e) {
        infrastructureFailures++;
        if (!outage) {
            outage = true;
            LOG.warning(() -> name + " hit a failure (" + e + "); retrying with back-off until it clears");
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
            LOG.info(() -> name + " recovered after " + infrastructureFailures + " failed attempts");
        }
        infrastructureFailures = 0;
    }

    private void sleepUntil(Instant until) throws InterruptedException {
        long millis = Duration.between(clock.instant(), until).toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}
