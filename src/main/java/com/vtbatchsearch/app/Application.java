package com.vtbatchsearch.app;

import com.vtbatchsearch.batch.BatchExpiry;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.Freshness;
import com.vtbatchsearch.batch.RecheckRepository;
import com.vtbatchsearch.batch.StagedUploadRepository;
import com.vtbatchsearch.batch.VerdictPolicy;
import com.vtbatchsearch.batch.WatchSchedule;
import com.vtbatchsearch.lookup.CallLogPruner;
import com.vtbatchsearch.lookup.CallLogRepository;
import com.vtbatchsearch.lookup.LocalRateLimiter;
import com.vtbatchsearch.lookup.LookupRepository;
import com.vtbatchsearch.lookup.LookupStatus;
import com.vtbatchsearch.lookup.LookupWorker;
import com.vtbatchsearch.lookup.QueueMaintenance;
import com.vtbatchsearch.lookup.QuotaAwareLimiter;
import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.lookup.RedisRateLimiter;
import com.vtbatchsearch.lookup.StoredAnswerBackfill;
import com.vtbatchsearch.lookup.VirusTotalClient;
import com.vtbatchsearch.notify.BatchEvents;
import com.vtbatchsearch.notify.Webhook;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.queue.RedisLookupQueue;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.throttle.ClientChargeRepository;
import com.vtbatchsearch.throttle.RedisThrottleStore;
import com.vtbatchsearch.throttle.ThrottleStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import redis.clients.jedis.UnifiedJedis;

/**
 * The one place that builds the application's objects from its configuration: the database, the
 * queue (in process, or in Redis), the rate limiter, the lookup workers on their executor, the
 * batch service the web layer calls, the store of the per-client upload budgets, and the hourly expiry
 * of old batches when a retention is set. {@link #close} stops all of it in reverse order, the workers
 * within a bound. The servlet listener starts one; tests start several to play several instances.
 */
public final class Application implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Application.class.getName());
    private static final Duration WORKER_STOP_TIMEOUT = Duration.ofSeconds(8);
    private static final Duration MAINTENANCE_INTERVAL = Duration.ofSeconds(15);
    private static final Duration RECONCILE_INTERVAL = Duration.ofMinutes(1);
    /**
     * How long the start waits for the database to read the call log. Start-up never waits longer on
     * anything that may be down, so the app answers /health within seconds whatever is missing.
     */
    private static final Duration START_PROBE = Duration.ofMillis(300);
    private static final Duration HOUSEKEEPING_INTERVAL = Duration.ofHours(1);
    private static final Duration QUOTA_READ_INTERVAL = Duration.ofMinutes(3);
    /** How often completions and finished re-checks are looked for (and announced). */
    private static final Duration EVENTS_INTERVAL = Duration.ofSeconds(5);

    private final AppConfig config;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private final List<LookupWorker> workers = new ArrayList<>();
    private Database database;
    private LookupQueue queue;
    private RateLimiter limiter;
    private LookupStatus status;
    private BatchService batchService;
    private QueueMaintenance maintenance;
    private ThrottleStore throttleStore;
    private String workerExecutor = "none";
    private ScheduledExecutorService housekeeping;
    private Webhook webhook;
    private BatchEvents events;
    private WatchSchedule watchSchedule;

    private Application(AppConfig config) {
        this.config = config;
    }

    /** Builds and starts everything; on failure closes what was opened and rethrows. */
    public static Application start(AppConfig config, Clock clock) {
        Application app = new Application(config);
        long started = System.nanoTime();
        try {
            app.build(clock);
            LOG.info(() -> "started in " + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms");
            return app;
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
    }

    private void build(Clock clock) {
        LOG.info(() -> "starting with " + config);
        database = Database.open(config.dbUrl(), config.dbUser().orElse(null), config.dbPassword().orElse(null),
                config.sqliteJournalMode());
        toClose.push(database);
        UnifiedJedis redis = config.redisUrl().map(RedisLookupQueue::connect).orElse(null);
        if (redis != null) {
            toClose.push(redis);
        }
        queue = redis == null ? new EmbeddedLookupQueue()
                : new RedisLookupQueue(redis, RedisLookupQueue.DEFAULT_PREFIX,
                        RedisLookupQueue.describe(config.redisUrl().get()), claimTtl(config));
        toClose.push(queue);
        Freshness freshness = new Freshness(Duration.ofDays(config.cacheTtlDays()),
                Duration.ofHours(config.notFoundTtlHours()));
        BatchRepository batchRepository = new BatchRepository(database, freshness,
                new VerdictPolicy(config.maliciousMinEngines(), config.myEngines()));
        LookupRepository lookupRepository = new LookupRepository(database);
        CallLogRepository callLog = new CallLogRepository(database);
        runHourly(new CallLogPruner(callLog, clock));
        runHourly(StoredAnswerBackfill.compressing(lookupRepository));
        runHourly(StoredAnswerBackfill.answerFields(lookupRepository));
        if (database.isPostgres() && redis == null) {
            LOG.warning("DB_URL names a PostgreSQL database but REDIS_URL is not set: this instance keeps its queue "
                    + "and rate limit in process. Run several instances on one database only with a shared Redis, "
                    + "or they look the same hashes up (and pay for them) once each and exceed the shared quota.");
        }

        if (config.vtApiKey().isPresent()) {
            limiter = redis == null
                    ? new LocalRateLimiter(config.vtRequestsPerMinute(), config.vtRequestsPerDay(), clock,
                            callHistory(database, callLog, clock.instant()), callLog::record)
                    : new RedisRateLimiter(redis, RedisLookupQueue.DEFAULT_PREFIX, config.vtRequestsPerMinute(),
                            config.vtRequestsPerDay(), clock, callLog::record);
            VirusTotalClient client = new VirusTotalClient(config.vtBaseUrl(), config.vtApiKey().get(),
                    Duration.ofSeconds(config.vtTimeoutSeconds()), config.vtProxy().orElse(null));
            toClose.push(client);
            RateLimiter counted = limiter; // the limiter that counts this deployment's own calls
            QuotaAwareLimiter quota = new QuotaAwareLimiter(counted, client::overallQuotas, callLog::countSince,
                    config.vtRequestsPerHour(), config.vtRequestsPerMonth(), QUOTA_READ_INTERVAL,
                    VirusTotalClient.mask(config.vtApiKey().get()), clock);
            limiter = quota;
            readQuotaAtStart(quota);
            status = new LookupStatus(true, limiter);
            maintenance = new QueueMaintenance(queue, lookupRepository, MAINTENANCE_INTERVAL, RECONCILE_INTERVAL, clock,
                    restoreBudget(counted, callLog, clock));
            queueOpenLookupsInBackground();
            startWorkers(lookupRepository, client, clock);
        } else {
            status = new LookupStatus(false, null);
            LOG.warning("VT_API_KEY is not set: uploads are accepted, lookups wait for a key");
        }
        batchService = new BatchService(batchRepository, new RecheckRepository(database, batchRepository.policy()), queue, limiter, clock,
                config.changeMinDelta()).storeInBackground(new StagedUploadRepository(batchRepository),
                        startStorer(), BatchService.BACKGROUND_STORE_MIN_HASHES);
        // Per-client budgets live where every instance sees them: with the queue in Redis, else in the database.
        throttleStore = redis == null ? new ClientChargeRepository(database)
                : new RedisThrottleStore(redis, RedisLookupQueue.DEFAULT_PREFIX);
        if (config.batchRetentionDays() > 0) {
            runHourly(new BatchExpiry(batchService, Duration.ofDays(config.batchRetentionDays()), clock));
        }
        watchSchedule = new WatchSchedule(batchService, clock);
        runHourly(watchSchedule);
        startEvents();
    }

    /**
     * Announces completions and finishes re-checks every {@link #EVENTS_INTERVAL} on a thread of its own;
     * the messages go to {@code WEBHOOK_URL} (when set) from the webhook's own thread.
     */
    private void startEvents() {
        webhook = config.webhookUrl().map(url -> new Webhook(url, Webhook.Settings.defaults(),
                new com.fasterxml.jackson.databind.ObjectMapper())).orElse(null);
        if (webhook != null) {
            toClose.push(webhook);
        }
        events = new BatchEvents(batchService, webhook, config.publicBaseUrl().map(Object::toString).orElse(""));
        ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "vt-batch-search-events");
            thread.setDaemon(true);
            return thread;
        });
        toClose.push(() -> {
            started.shutdownNow();
            if (!started.awaitTermination(WORKER_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning("the batch events thread did not stop in time");
            }
        });
        started.scheduleWithFixedDelay(events, EVENTS_INTERVAL.toMillis(), EVENTS_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        // Uploads kept but not stored yet (a stopped instance's, or while the background store was busy).
        started.scheduleWithFixedDelay(batchService::storeWaitingUploads, 0, EVENTS_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * The thread that writes big uploads' batches after their upload was answered (see
     * {@link BatchService#storeInBackground}); at most {@link #STORER_QUEUE} wait, each holding its hashes in
     * memory: more are refused, stay kept in the database, and are stored by the periodic look.
     */
    private Executor startStorer() {
        ThreadPoolExecutor storer = new ThreadPoolExecutor(1, 1, 0,
                TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(STORER_QUEUE), task -> {
                    Thread thread = new Thread(task, "vt-batch-search-storer");
                    thread.setDaemon(true);
                    return thread;
                });
        toClose.push(() -> {
            storer.shutdown();
            if (!storer.awaitTermination(WORKER_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                storer.shutdownNow();
                LOG.warning("the background store did not finish in time; the uploads it held are stored at the"
                        + " next start");
            }
        });
        return storer;
    }

    /** Big uploads that may wait for the background store, holding their hashes in memory. */
    private static final int STORER_QUEUE = 4;

    /** The webhook of {@code WEBHOOK_URL}; null when none is set. */
    public Webhook webhook() {
        return webhook;
    }

    /** Completions and finished re-checks; tests run it at once instead of waiting for its next run. */
    public BatchEvents events() {
        return events;
    }

    /** The hourly job that re-checks watched batches; tests run it with their own clock. */
    public WatchSchedule watchSchedule() {
        return watchSchedule;
    }

    /** Reads the key's quotas from VirusTotal once, in the background, so an unreachable VirusTotal does not hold up the start. */
    private void readQuotaAtStart(QuotaAwareLimiter quota) {
        Thread reader = new Thread(quota::readAtStart, "quota-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Runs {@code job} now and then hourly on the one housekeeping thread (call-log pruning, compression of
     * old answers, batch expiry), started with the first job and stopped within a bound on close. Each job
     * catches its own failures, so one that fails keeps its schedule and never stops the others.
     */
    private void runHourly(Runnable job) {
        if (housekeeping == null) {
            ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "vt-batch-search-housekeeping");
                thread.setDaemon(true);
                return thread;
            });
            toClose.push(() -> {
                started.shutdownNow();
                if (!started.awaitTermination(WORKER_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warning("housekeeping did not stop in time");
                }
            });
            housekeeping = started;
        }
        housekeeping.scheduleWithFixedDelay(job, 0, HOUSEKEEPING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void startWorkers(LookupRepository lookupRepository, VirusTotalClient client, Clock clock) {
        LookupWorker.Settings settings = LookupWorker.Settings.defaults(Duration.ofSeconds(config.vtTimeoutSeconds()),
                Duration.ofMillis(config.vtRetryBaseMillis()), config.vtMaxAttempts());
        ExecutorProvider executor = ExecutorProvider.lookupOrCreate(config.vtWorkers());
        toClose.push(executor);
        String instance = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 1; i <= config.vtWorkers(); i++) {
            LookupWorker worker = new LookupWorker("lookup-worker-" + instance + "-" + i, queue, lookupRepository,
                    client, limiter, status, maintenance, settings, clock);
            workers.add(worker);
            executor.executor().submit(worker);
        }
        workerExecutor = executor.isManaged() ? "managed" : "own";
        LOG.info(() -> config.vtWorkers() + " lookup workers started on the " + workerExecutor + " executor");
    }

    /**
     * Queues the open lookups the database holds, off the start-up thread: with the database or Redis
     * down, or slow to answer, the start must not wait for their timeouts. When it fails, the workers
     * queue them once both answer.
     */
    private void queueOpenLookupsInBackground() {
        Thread refill = new Thread(() -> {
            try {
                maintenance.runNow();
            } catch (RuntimeException e) {
                LOG.warning(() -> "open lookups not queued at start-up (" + describe(e)
                        + "); the workers queue them when the database and the queue answer");
            }
        }, "vt-batch-search-start-refill");
        refill.setDaemon(true);
        refill.start();
        toClose.push(() -> refill.join(WORKER_STOP_TIMEOUT.toMillis()));
    }

    /**
     * The calls of the last day, so a restart does not reset the budget. With the database down at
     * start-up (no answer within {@link #START_PROBE}) there is none to read: the limiter then starts
     * from an empty window.
     */
    private static List<Instant> callHistory(Database database, CallLogRepository callLog, Instant now) {
        if (!database.isHealthyWithin(START_PROBE)) {
            LOG.warning("the database does not answer at start-up; the rate limit starts from an empty window");
            return List.of();
        }
        try {
            callLog.deleteBefore(now.minus(CallLogPruner.KEEP));
            return callLog.since(now.minus(Duration.ofDays(1)));
        } catch (RuntimeException e) {
            LOG.warning(() -> "the VirusTotal call log cannot be read (" + describe(e)
                    + "); the rate limit starts from an empty window");
            return List.of();
        }
    }

    /** A failure and its causes on one line, for logs that hold one line per event. */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 1_000; t = t.getCause() == t ? null : t.getCause()) {
            if (!text.isEmpty()) {
                text.append(" <- ");
            }
            text.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        return text.toString().replace('\n', ' ').replace('\r', ' ');
    }

    /** How long a claim or an instance's heartbeat outlives its last renewal: longer than any one lookup. */
    private static Duration claimTtl(AppConfig config) {
        return LookupWorker.Settings.claimTtl(Duration.ofSeconds(config.vtTimeoutSeconds()));
    }

    /** After Redis lost its data, raises the shared day's count to what the call log says was spent. */
    private static QueueMaintenance.RefillListener restoreBudget(RateLimiter limiter, CallLogRepository callLog,
            Clock clock) {
        if (!(limiter instanceof RedisRateLimiter shared)) {
            return () -> { };
        }
        return () -> {
            Instant midnight = RateLimiter.utcDay(clock.instant()).atStartOfDay(ZoneOffset.UTC).toInstant();
            shared.seedToday(callLog.since(midnight).size());
        };
    }

    public AppConfig config() {
        return config;
    }

    public Database database() {
        return database;
    }

    public LookupQueue queue() {
        return queue;
    }

    /** Null when no API key is configured. */
    public RateLimiter limiter() {
        return limiter;
    }

    public LookupStatus status() {
        return status;
    }

    public BatchService batches() {
        return batchService;
    }

    /** Where the per-client upload budgets are counted, shared by every instance of the deployment. */
    public ThrottleStore throttleStore() {
        return throttleStore;
    }

    public List<LookupWorker> workers() {
        return List.copyOf(workers);
    }

    /** What the workers run on: managed, own, or none without an API key. */
    public String workerExecutor() {
        return workerExecutor;
    }

    /** Stops the workers (each puts the entry in hand back) within a bound, then closes the rest. */
    @Override
    public void close() {
        workers.forEach(LookupWorker::requestStop);
        long deadline = System.nanoTime() + WORKER_STOP_TIMEOUT.toNanos();
        for (LookupWorker worker : workers) {
            try {
                worker.awaitStop(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        while (!toClose.isEmpty()) {
            AutoCloseable resource = toClose.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warning(() -> "closing " + resource.getClass().getSimpleName() + " failed: " + describe(e));
            }
        }
    }
}
