package com.vtbatchsearch.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.lookup.LookupStatus;
import com.vtbatchsearch.lookup.LookupWorker;
import com.vtbatchsearch.lookup.RateLimiter;
import com.vtbatchsearch.lookup.VirusTotalClient;
import com.vtbatchsearch.queue.EmbeddedLookupQueue;
import com.vtbatchsearch.queue.LookupQueue;
import com.vtbatchsearch.queue.RedisLookupQueue;
import com.vtbatchsearch.store.BatchRepository;
import com.vtbatchsearch.store.CallLogRepository;
import com.vtbatchsearch.store.Database;
import com.vtbatchsearch.store.LookupRepository;
import com.vtbatchsearch.web.AccessControlFilter;
import com.vtbatchsearch.web.AccessToken;
import com.vtbatchsearch.web.ApiBatchesServlet;
import com.vtbatchsearch.web.CsrfFilter;
import com.vtbatchsearch.web.LoginServlet;
import com.vtbatchsearch.web.RequestShapeFilter;
import com.vtbatchsearch.web.SecurityHeadersFilter;
import com.vtbatchsearch.web.UploadThrottle;
import com.vtbatchsearch.web.HealthServlet;
import com.vtbatchsearch.web.HomeServlet;
import com.vtbatchsearch.web.ReportServlet;
import com.vtbatchsearch.web.UploadLimits;
import com.vtbatchsearch.web.UploadServlet;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place that builds the application: reads the configuration, opens the database and the
 * queue, registers the servlets with their collaborators, and starts the lookup worker; on shutdown
 * it stops all of that again in reverse order, the worker within 10 s.
 */
@WebListener
public final class AppListener implements ServletContextListener {
    private static final Logger LOG = Logger.getLogger(AppListener.class.getName());
    private static final Duration WORKER_STOP_TIMEOUT = Duration.ofSeconds(8);

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private LookupWorker worker;
    private VirusTotalClient client;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        try {
            start(event.getServletContext());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "VT Batch Search cannot start: " + e.getMessage(), e);
            closeAll();
            throw e;
        }
    }

    private void start(ServletContext context) {
        AppConfig config = AppConfig.fromEnvironment();
        LOG.info(() -> "starting with " + config);
        Clock clock = Clock.systemUTC();
        ObjectMapper json = new ObjectMapper();

        Database database = Database.openSqlite(config.dataDir());
        toClose.push(database);
        LookupQueue queue = config.redisUrl()
                .<LookupQueue>map(url -> new RedisLookupQueue(url, RedisLookupQueue.DEFAULT_KEY))
                .orElseGet(EmbeddedLookupQueue::new);
        toClose.push(queue);
        BatchRepository batchRepository = new BatchRepository(database);
        LookupRepository lookupRepository = new LookupRepository(database);
        CallLogRepository callLog = new CallLogRepository(database);
        LookupStatus status = new LookupStatus(config.vtApiKey().isPresent(), clock);
        BatchService batchService = new BatchService(batchRepository, queue, clock);

        RateLimiter limiter = null;
        String workerExecutor = "none";
        if (config.vtApiKey().isPresent()) {
            Instant now = clock.instant();
            callLog.deleteBefore(now.minus(Duration.ofDays(2)));
            limiter = new RateLimiter(config.vtRequestsPerMinute(), config.vtRequestsPerDay(), clock,
                    callLog.since(now.minus(Duration.ofDays(1))), callLog::record);
            client = new VirusTotalClient(config.vtBaseUrl(), config.vtApiKey().get(),
                    Duration.ofSeconds(config.vtTimeoutSeconds()));
            toClose.push(client);
            worker = new LookupWorker(queue, lookupRepository, client, limiter, status,
                    LookupWorker.Settings.defaults(Duration.ofMillis(config.vtRetryBaseMillis()),
                            config.vtMaxAttempts()), clock);
            int requeued = worker.requeuePending();
            ExecutorProvider executor = ExecutorProvider.lookupOrCreate();
            toClose.push(executor);
            executor.executor().submit(worker);
            workerExecutor = executor.isManaged() ? "managed" : "own";
            LOG.info(() -> "lookup worker started; " + requeued + " pending lookups put back in the queue");
        } else {
            LOG.warning("VT_API_KEY is not set: uploads are accepted, lookups wait for a key");
        }

        UploadLimits limits = new UploadLimits(config.maxUploadMb(), config.maxHashesPerBatch());
        context.setAttribute("lookupStatus", status);
        context.addServlet("home", new HomeServlet(limits)).addMapping("");
        UploadThrottle throttle = new UploadThrottle(config.maxBatchesPerHourPerClient(),
                config.maxNewHashesPerDayPerClient(), clock);
        addSecurityFilters(context, config);
        context.addServlet("upload", new UploadServlet(limits, batchService, throttle)).addMapping("/upload");
        context.addServlet("report", new ReportServlet(batchService)).addMapping("/report/*");
        context.addServlet("api-batches", new ApiBatchesServlet(limits, batchService, json, throttle))
                .addMapping("/api/batches", "/api/batches/*");
        context.addServlet("health", new HealthServlet(database, queue, status, limiter, workerExecutor, json)).addMapping("/health");
    }

    /** In this order on every request: headers, request shape, access token (if set), CSRF. */
    private static void addSecurityFilters(ServletContext context, AppConfig config) {
        // the session (CSRF token, sign-in) is never readable by script nor sent by another site's page
        context.getSessionCookieConfig().setHttpOnly(true);
        context.getSessionCookieConfig().setAttribute("SameSite", "Strict");
        EnumSet<DispatcherType> all = EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR);
        context.addFilter("security-headers", new SecurityHeadersFilter()).addMappingForUrlPatterns(all, false, "/*");
        context.addFilter("request-shape", new RequestShapeFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        config.accessToken().map(AccessToken::new).ifPresentOrElse(token -> {
            context.addFilter("access-control", new AccessControlFilter(token))
                    .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
            context.addServlet("login", new LoginServlet(token)).addMapping("/login");
        }, () -> LOG.warning("ACCESS_TOKEN is not set: anyone who can reach this instance can upload and "
                + "spend its VirusTotal quota"));
        context.addFilter("csrf", new CsrfFilter()).addMappingForUrlPatterns(all, false, "/*");
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (worker != null) {
            worker.requestStop();
            if (client != null) {
                client.close(); // cuts short a lookup in flight; the worker puts its hash back
            }
            try {
                worker.awaitStop(WORKER_STOP_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeAll();
    }

    private void closeAll() {
        while (!toClose.isEmpty()) {
            AutoCloseable resource = toClose.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing " + resource.getClass().getSimpleName() + " failed", e);
            }
        }
    }
}
