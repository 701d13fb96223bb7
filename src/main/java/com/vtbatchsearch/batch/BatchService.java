package com.vtbatchsearch.batch;

import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.queue.LookupQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Turns extracted hashes into a stored batch and queues the lookups it needs; reads batches back
 * for reports. Hashes already answered or already pending cost no new lookup.
 */
public final class BatchService {
    private static final Logger LOG = Logger.getLogger(BatchService.class.getName());
    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** Batches listed at a time by {@link #deleteCreatedBefore}. */
    private static final int EXPIRY_CHUNK = 100;

    private final BatchRepository batches;
    private final LookupQueue queue;
    private final RateLimiter limiter;
    private final Clock clock;
    private final SharedCounts shared;
    private final FacetCache facetCache;
    private final RecheckRepository rechecks;
    private final int changeMinDelta;

    /** @param limiter null when no API key is configured (nothing is looked up, no estimate) */
    public BatchService(BatchRepository batches, LookupQueue queue, RateLimiter limiter, Clock clock) {
        this(batches, queue, limiter, clock, System::nanoTime);
    }

    /**
     * @param changeMinDelta how many more (or fewer) engines must flag a file after a re-check for its
     *                       detections to count as changed ({@code CHANGE_MIN_DELTA})
     */
    public BatchService(BatchRepository batches, RecheckRepository rechecks, LookupQueue queue, RateLimiter limiter,
            Clock clock, int changeMinDelta) {
        this(batches, rechecks, queue, limiter, clock, System::nanoTime, changeMinDelta);
    }

    /** With {@code nanos} timing how long counts are shared; tests move it by hand. */
    BatchService(BatchRepository batches, LookupQueue queue, RateLimiter limiter, Clock clock,
            java.util.function.LongSupplier nanos) {
        this(batches, new RecheckRepository(batches.database(), batches.policy()), queue, limiter, clock, nanos, DEFAULT_CHANGE_MIN_DELTA);
    }

    /** {@code CHANGE_MIN_DELTA}'s default. */
    public static final int DEFAULT_CHANGE_MIN_DELTA = 3;

    private BatchService(BatchRepository batches, RecheckRepository rechecks, LookupQueue queue, RateLimiter limiter,
            Clock clock, java.util.function.LongSupplier nanos, int changeMinDelta) {
        this.rechecks = rechecks;
        this.changeMinDelta = changeMinDelta;
        this.batches = batches;
        this.queue = queue;
        this.limiter = limiter;
        this.clock = clock;
        this.shared = new SharedCounts(batches, nanos);
        this.facetCache = new FacetCache(nanos);
    }

    /**
     * What a new batch holds. {@code queued}: the lookups queued by the time {@link #submit} answers; 0 for an
     * upload stored in the background ({@code stored} false), whose lookups are queued once it is stored.
     */
    public record Submitted(String id, long found, int unique, int queued, boolean stored) {
        public Submitted(String id, long found, int unique, int queued) {
            this(id, found, unique, queued, true);
        }
    }

    /** Uploads of at least this many distinct hashes are answered once staged and stored in the background. */
    public static final int BACKGROUND_STORE_MIN_HASHES = 10_000;
    /** How long a staged upload is left to the task that staged it before the periodic look stores it. */
    static final Duration STAGED_GRACE = Duration.ofSeconds(10);

    private volatile StagedUploadRepository staged;
    private volatile Executor storer;
    private volatile int backgroundMinHashes = Integer.MAX_VALUE;

    /**
     * Answers uploads of at least {@code minHashes} distinct hashes as soon as they are staged (one row; see
     * {@link StagedUploadRepository}) and writes their batch on {@code storer}; the report and the API say the
     * batch is being stored meanwhile. Uploads that {@code storer} refuses (it is full) stay staged and are
     * stored by {@link #storeWaitingUploads}, which the application runs every few seconds.
     */
    public BatchService storeInBackground(StagedUploadRepository staged, Executor storer,
            int minHashes) {
        this.staged = staged;
        this.storer = storer;
        this.backgroundMinHashes = minHashes;
        return this;
    }

    /**
     * A batch with its counts and the items a query asked for, as a report shows it (getter-style for
     * JSP EL).
     */
    public static final class Report {
        private final Batch batch;
        private final BatchCounts counts;
        private final ItemQuery query;
        private final int matched;
        private final List<BatchItem> items;
        private final Progress progress;
        private List<EngineColumn> engines = List.of();
        private final Recheck recheck;

        Report(Batch batch, BatchCounts counts, ItemQuery query, int matched, List<BatchItem> items,
                Progress progress, Recheck recheck) {
            this.recheck = recheck;
            this.batch = batch;
            this.counts = counts;
            this.query = query;
            this.matched = matched;
            this.items = items;
            this.progress = progress;
        }

        /** Where the batch stands in the queue and when it should be done. */
        public Progress getProgress() {
            return progress;
        }

        /** The batch's watch schedule and its last re-check, with what that changed. */
        public Recheck getRecheck() {
            return recheck;
        }

        public Batch getBatch() {
            return batch;
        }

        public BatchCounts getCounts() {
            return counts;
        }

        public ItemQuery getQuery() {
            return query;
        }

        /** How many items match the query's filters; more than {@link #getItems()} holds when paged. */
        public int getMatched() {
            return matched;
        }

        public List<BatchItem> getItems() {
            return items;
        }

        /**
         * Estimated seconds until every lookup of the batch is answered; null when none is pending or no
         * estimate can be made (no API key).
         */
        public Long getEtaSeconds() {
            return isPending() ? progress.getEtaSeconds() : null;
        }

        /** The estimate in words, such as "about 2 h 5 min left"; empty when there is none. */
        public String getEtaText() {
            String text = progress.getEtaText();
            return isPending() && text != null ? text + " left" : "";
        }

        public boolean isPending() {
            return counts.getPending() > 0;
        }

        /** The engines chosen for this report (MY_ENGINES or {@code engines=...}), each said to be known or not. */
        public List<EngineColumn> getEngines() {
            return engines;
        }
    }

    /**
     * An engine chosen for a report: {@code known} when some stored answer names it (then {@code name} is
     * VirusTotal's spelling), otherwise it appears in no answer (a typo, or a product VirusTotal does not run).
     */
    public record EngineColumn(String name, boolean known) {
        public String getName() {
            return name;
        }

        public boolean isKnown() {
            return known;
        }
    }

    /** Top values per facet. */
    public static final int FACET_LIMIT = 20;

    /**
     * The batch's top {@link #FACET_LIMIT} values with their counts of each facet asked for, in the order
     * asked; empty for an unknown batch. Shared for a while per batch like the counts, so a 100,000-hash
     * report's facets cost one grouped statement each per interval.
     */
    public Optional<java.util.Map<String, List<BatchRepository.FacetValue>>> facets(String id,
            List<BatchRepository.Facet> asked) {
        return find(id).map(batch -> {
            java.util.Map<String, List<BatchRepository.FacetValue>> all = facetCache.get(batch,
                    () -> batches.facets(batch.getId(), FACET_LIMIT));
            java.util.Map<String, List<BatchRepository.FacetValue>> answer = new java.util.LinkedHashMap<>();
            for (BatchRepository.Facet f : asked) {
                answer.put(f.key(), all.get(f.key()));
            }
            return answer;
        });
    }

    /** The chosen engines of a query (MY_ENGINES unless it chose others), each known or not. */
    public List<EngineColumn> engineColumns(ItemQuery asked) {
        ItemQuery query = asked.withPolicy(batches.policy());
        if (query.engines().isEmpty()) {
            return List.of();
        }
        java.util.Map<String, String> known = batches.knownEngines(query.engines());
        return query.engines().stream()
                .map(e -> known.containsKey(e) ? new EngineColumn(known.get(e), true) : new EngineColumn(e, false))
                .toList();
    }

    /**
     * The counts with the gap of the query's engines: the shared count has MY_ENGINES' gap; a report that
     * chose other engines counts its own.
     */
    private BatchCounts withGap(Batch batch, BatchCounts counts, ItemQuery query) {
        if (query.engines().isEmpty()) {
            return counts.withGap(null);
        }
        if (query.engines().equals(batches.policy().myEngines())) {
            return counts;
        }
        ItemQuery gap = new ItemQuery(null, null, ItemQuery.Sort.POSITION, false, 0, 0,
                new ItemQuery.Filters(null, true, query.engines(), null, null, null, null, null, null), null);
        return counts.withGap(batches.countItems(batch.getId(), gap));
    }

    public Submitted submit(ExtractedHashes hashes) {
        String id = UUID.randomUUID().toString();
        if (staged != null && hashes.unique() >= backgroundMinHashes) {
            staged.stage(id, clock.instant(), hashes);
            LOG.info(() -> "batch " + id + ": " + hashes.found() + " hashes found, " + hashes.unique()
                    + " distinct, kept; storing it in the background");
            try {
                storer.execute(() -> storeStagedQuietly(id, hashes));
            } catch (RejectedExecutionException e) {
                LOG.info(() -> "batch " + id + ": the background store is busy; stored at its next look");
            }
            return new Submitted(id, hashes.found(), hashes.unique(), 0, false);
        }
        List<String> toLookUp = batches.create(id, clock.instant(), hashes);
        enqueue(id, toLookUp);
        LOG.info(() -> "batch " + id + ": " + hashes.found() + " hashes found, " + hashes.unique() + " distinct, "
                + toLookUp.size() + " queued for lookup");
        return new Submitted(id, hashes.found(), hashes.unique(), toLookUp.size());
    }

    /**
     * Writes the batch of the upload staged under {@code id} and queues its lookups.
     *
     * @param hashes the upload's hashes when still at hand, or null to read them from the staged row
     * @return false when there was nothing to store (stored already, by this or another instance)
     */
    public boolean storeStaged(String id, ExtractedHashes hashes) {
        Optional<List<String>> open = staged.store(id, hashes);
        open.ifPresent(toLookUp -> {
            enqueue(id, toLookUp);
            LOG.info(() -> "batch " + id + ": stored, " + toLookUp.size() + " queued for lookup");
        });
        return open.isPresent();
    }

    private void storeStagedQuietly(String id, ExtractedHashes hashes) {
        try {
            storeStaged(id, hashes);
        } catch (RuntimeException e) {
            LOG.warning(() -> "batch " + id + " cannot be stored now (" + e.getMessage()
                    + "); it stays kept and is stored at the next look");
        }
    }

    /**
     * Stores the uploads left staged for longer than {@link #STAGED_GRACE} (by a stopped instance, or when the
     * background store was busy), oldest first, at most 10 a run; never throws.
     *
     * @return how many were stored now
     */
    public int storeWaitingUploads() {
        if (staged == null) {
            return 0;
        }
        int stored = 0;
        try {
            for (String id : staged.waiting(clock.instant().minus(STAGED_GRACE), 10)) {
                try {
                    if (storeStaged(id, null)) {
                        stored++;
                    }
                } catch (RuntimeException e) {
                    LOG.warning(() -> "batch " + id + " cannot be stored now (" + e.getMessage() + "); trying again later");
                }
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "the kept uploads cannot be listed now (" + e.getMessage() + "); trying again later");
        }
        return stored;
    }

    /** The upload being stored under {@code id} (see {@link #storeInBackground}); empty once its batch exists. */
    public Optional<StagedUploadRepository.Staged> storing(String id) {
        if (staged == null || id == null || !CANONICAL_UUID.matcher(id).matches()) {
            return Optional.empty();
        }
        return staged.find(id);
    }

    /**
     * Looks up again the batch's answers that are older than their time to live; the old answers show
     * meanwhile. Empty for an unknown batch; otherwise how many lookups are now queued for it.
     */
    public Optional<Integer> refreshStale(String id) {
        return find(id).map(batch -> {
            List<String> toLookUp = batches.requestRefresh(batch.getId(), clock.instant());
            shared.forget(batch.getId());
            enqueue(batch.getId(), toLookUp);
            LOG.info(() -> "batch " + batch.getId() + ": refresh requested, " + toLookUp.size() + " lookups queued");
            return toLookUp.size();
        });
    }

    /**
     * How many lookups {@link #refreshStale} would queue for the batch now, so the caller can charge them
     * first; empty for an unknown batch.
     */
    public Optional<Integer> staleLookups(String id) {
        return find(id).map(batch -> batches.countStale(batch.getId(), clock.instant()));
    }

    private void enqueue(String id, List<String> hashes) {
        if (hashes.isEmpty() || limiter == null) {
            // Without a key nothing here looks up: the instances that do (or this one, started with a
            // key) find the batch when they reconcile the queue with the database.
            return;
        }
        // After the commit: should queueing fail, the database still says open and the queue
        // maintenance gives the batch its place when it next reconciles.
        try {
            queue.enqueue(id);
        } catch (RuntimeException e) {
            LOG.warning(() -> "batch " + id + ": could not queue " + hashes.size()
                    + " lookups now (" + e.getMessage() + "); they stay open and are queued when the queue is"
                    + " next reconciled with the database");
        }
    }

    /** What asking for a re-check did: started one now, or found one running (then nothing was queued). */
    public record RecheckStarted(boolean started, int queued, Recheck recheck) {
    }

    /**
     * Re-checks the batch: every answer of it is looked up again, stale or not, taking turns with other
     * batches within the quota (the refresh of answers the workers serve). A re-check already running is
     * answered as it is, nothing queued. Empty for an unknown batch.
     */
    public Optional<RecheckStarted> recheck(String id) {
        return find(id).map(batch -> {
            // One that ended without the finishing job having seen it yet is finished (its changes kept) first.
            finishRecheck(batch.getId());
            Optional<List<String>> marked = rechecks.start(batch.getId(), clock.instant());
            if (marked.isPresent()) {
                shared.forget(batch.getId());
                List<String> toLookUp = marked.get();
                // Nothing to look up: the re-check is done at once.
                if (toLookUp.isEmpty()) {
                    finishRecheck(batch.getId());
                } else {
                    enqueue(batch.getId(), toLookUp);
                }
                LOG.info(() -> "batch " + batch.getId() + ": re-check started, " + toLookUp.size() + " lookups queued");
            }
            return new RecheckStarted(marked.isPresent(), marked.map(List::size).orElse(0),
                    rechecks.state(batch.getId()).orElse(null));
        });
    }

    /**
     * Finishes the batch's running re-check if nothing of it is open any more, writing what changed; empty
     * when none was finished now (none running, not done yet, or finished elsewhere).
     */
    public Optional<RecheckRepository.Finished> finishRecheck(String id) {
        Optional<RecheckRepository.Finished> finished = rechecks.finishIfDone(id, clock.instant(), changeMinDelta);
        finished.ifPresent(f -> {
            shared.forget(id);
            LOG.info(() -> "batch " + id + ": re-check done, " + f.changes().size() + " items changed");
        });
        return finished;
    }

    /** What a re-check of a batch would cost now and when it would be done. */
    public record RecheckEstimate(int lookups, long lookupsToGo, Long etaSeconds, String etaText, String doneAt,
            boolean running) {
        // Bean-style accessors for JSP EL, which does not read record components.

        public int getLookups() {
            return lookups;
        }

        public String getEtaText() {
            return etaText;
        }

        /** When it would be done, for the page: "HH:MM UTC", with the date when not today; empty without estimate. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public String getDoneAtText() {
            if (doneAt == null) {
                return "";
            }
            java.time.ZonedDateTime at = Instant.parse(doneAt).atZone(java.time.ZoneOffset.UTC);
            boolean today = at.toLocalDate().equals(java.time.LocalDate.now(java.time.ZoneOffset.UTC));
            return (today ? "" : at.toLocalDate() + " ") + String.format("%02d:%02d UTC", at.getHour(), at.getMinute());
        }
    }

    /**
     * How many lookups a re-check of the batch would make now and when it would be done, from the batch's
     * shared counts (at most a second or two old); empty for an unknown batch. The charge counts exactly:
     * {@link #recheckLookups}.
     */
    public Optional<RecheckEstimate> recheckEstimate(String id) {
        return find(id).map(batch -> {
            BatchCounts counts = shared.counts(batch);
            // From the shared counts, so a report page costs no count of its batch: every answer not being
            // refreshed already (found, not found or failed) is looked up again.
            int lookups = Math.max(0, counts.getDone() - counts.getRefreshing());
            Progress p = progress(batch.getId(), counts.getPending() + counts.getRefreshing() + lookups);
            Long eta = p.getEtaSeconds();
            boolean running = rechecks.state(batch.getId()).map(Recheck::isRunning).orElse(false);
            return new RecheckEstimate(lookups, p.getLookupsToGo(), eta, p.getEtaText(),
                    eta == null ? null : clock.instant().plusSeconds(eta).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                            .toString(), running);
        });
    }

    /** How many lookups a re-check of the batch would queue now; empty for an unknown batch. */
    public Optional<Integer> recheckLookups(String id) {
        return find(id).map(batch -> rechecks.countToRecheck(batch.getId()));
    }

    /** The batch's watch and last re-check; empty for an unknown batch. */
    public Optional<Recheck> recheckState(String id) {
        return find(id).flatMap(batch -> rechecks.state(batch.getId()));
    }

    /** Sets (or with null clears) the batch's watch schedule; false for an unknown batch. */
    public boolean watch(String id, Recheck.Watch watch) {
        return find(id).map(batch -> rechecks.setWatch(batch.getId(), watch)).orElse(false);
    }

    /** The batch's counts read now, not shared: for a message sent once, which must not be a second old. */
    public Optional<BatchCounts> freshCounts(String id) {
        return find(id).map(batches::counts);
    }

    /** The repository of re-checks, for the jobs that finish them, schedule them and announce completions. */
    public RecheckRepository rechecks() {
        return rechecks;
    }

    /** Where the batch stands in the queue and when it should be done. */
    public Progress progress(String id, int open) {
        if (open == 0) {
            return new Progress(0, 0, 0L, null);
        }
        if (limiter == null) {
            return new Progress(open, open, null, null);
        }
        try {
            long mine = open;
            long others = shared.turnsOfOthers(id, mine);
            Instant now = clock.instant();
            Instant pausedUntil = limiter.pause().map(RateLimiter.Pause::until).orElse(null);
            long eta = Progress.timeFor(others + mine, limiter.perMinute(), limiter.perDay(), limiter.usedToday(),
                    limiter.remainingThisMonth(), now, pausedUntil).toSeconds();
            return new Progress(others + mine, open, eta,
                    pausedUntil == null ? null : pausedUntil.toString());
        } catch (RuntimeException e) {
            return new Progress(open, open, null, null); // the database or the limiter is unreachable: no estimate
        }
    }

    /** How many lookups {@link #submit} would queue for these hashes, as things stand now. */
    public int lookupsNeeded(ExtractedHashes hashes) {
        return batches.countNeedingLookup(hashes.hashes());
    }

    /** The report of a batch with all its items; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id) {
        return report(id, ItemQuery.ALL);
    }

    /** The report of a batch with the items {@code query} selects; empty for an id that is malformed or unknown. */
    public Optional<Report> report(String id, ItemQuery asked) {
        ItemQuery query = asked.withPolicy(batches.policy());
        return find(id).map(batch -> {
            BatchCounts counts = withGap(batch, shared.counts(batch), query);
            List<BatchItem> items = batches.items(batch.getId(), query);
            // Unfiltered, every distinct hash matches: no need to count them again. A page that ends short of its
            // limit (and holds a row, or starts at the first) holds the last match: no count either.
            int matched = query.countedByVerdict() ? matched(counts, query)
                    : !query.isPaged() ? items.size()
                    : items.size() < query.limit() && (query.offset() == 0 || !items.isEmpty())
                            ? query.offset() + items.size() : batches.countItems(batch.getId(), query);
            Report report = new Report(batch, counts, query, matched, items, progress(batch.getId(),
                    counts.getPending()), rechecks.state(batch.getId()).orElse(null));
            report.engines = engineColumns(query);
            return report;
        });
    }

    /**
     * How many items a query without text matches, from the batch's shared counts: each verdict a filter
     * selects is counted there in the same terms, so a filtered page does not count the batch again.
     */
    private static int matched(BatchCounts counts, ItemQuery query) {
        if (query.verdict() == null) {
            return counts.getUnique();
        }
        return switch (query.verdict()) {
            case MALICIOUS -> counts.getMalicious();
            case SUSPICIOUS -> counts.getSuspicious();
            case CLEAN -> counts.getClean();
            case NOT_FOUND -> counts.getNotFound();
            case ERROR -> counts.getErrors();
            case PENDING -> counts.getPending();
        };
    }

    /**
     * The report of a batch without its items, which the caller reads through {@link #export}; empty for
     * an id that is malformed or unknown.
     */
    public Optional<Report> summary(String id, ItemQuery asked) {
        ItemQuery query = asked.withPolicy(batches.policy());
        return find(id).map(batch -> {
            BatchCounts counts = withGap(batch, shared.counts(batch), query);
            int matched = query.countedByVerdict() ? matched(counts, query) : batches.countItems(batch.getId(), query);
            Report report = new Report(batch, counts, query, matched, List.of(), progress(batch.getId(),
                    counts.getPending()), rechecks.state(batch.getId()).orElse(null));
            report.engines = engineColumns(query);
            return report;
        });
    }

    /** Writes every item the query selects to {@code consumer} as it is read; false for an unknown batch. */
    public boolean export(String id, ItemQuery query, java.util.function.Consumer<BatchItem> consumer) {
        Optional<Batch> batch = find(id);
        batch.ifPresent(b -> batches.forEachItem(b.getId(), query, consumer));
        return batch.isPresent();
    }

    /** See {@link BatchRepository#matchingRowsOf}: the rows of a batch that hold each file's hashes. */
    public java.util.Map<String, BatchRepository.FileRows> matchingRowsOf(String id, ItemQuery query,
            java.util.Collection<String> sha256s) {
        return batches.matchingRowsOf(id, query, sha256s);
    }

    /** See {@link BatchRepository#exportCounts}: the rows a query matches, by lookup state. */
    public BatchRepository.ExportCounts exportCounts(String id, ItemQuery query) {
        return batches.exportCounts(id, query);
    }

    /**
     * The engines that flagged one hash of a batch and the names the file is known by; empty when the
     * batch is unknown or does not hold the hash.
     */
    public Optional<FileDetails> details(String id, String hash) {
        String normalized = hash == null ? null : hash.toLowerCase(java.util.Locale.ROOT);
        if (HashType.of(normalized).isEmpty()) {
            return Optional.empty();
        }
        return find(id).flatMap(batch -> batches.details(batch.getId(), normalized))
                .map(d -> FileDetails.fromRawJson(d.hash(), d.status(), d.rawJson())
                        .withHistory(rechecks.history(normalized), batches.policy()));
    }

    /**
     * Deletes a batch and its items; the cached answers stay. Its queue entries are left to the
     * workers, which find nothing open for them and move on.
     *
     * @return false for an id that is malformed or unknown
     */
    public boolean delete(String id) {
        boolean deleted = find(id).isPresent() && batches.delete(id);
        if (deleted) {
            shared.forget(id);
            facetCache.forget(id);
            LOG.info(() -> "batch " + id + " deleted");
        }
        return deleted;
    }

    /** Deletes the batches created before {@code cutoff}, each in a transaction of its own; returns how many. */
    public int deleteCreatedBefore(Instant cutoff) {
        int deleted = 0;
        while (true) {
            List<String> ids = batches.createdBefore(cutoff, EXPIRY_CHUNK);
            for (String id : ids) {
                if (batches.delete(id)) {
                    deleted++;
                }
            }
            if (ids.size() < EXPIRY_CHUNK) {
                return deleted;
            }
        }
    }

    public Optional<Batch> find(String id) {
        if (id == null || !CANONICAL_UUID.matcher(id).matches()) {
            return Optional.empty();
        }
        return batches.find(id);
    }
}
