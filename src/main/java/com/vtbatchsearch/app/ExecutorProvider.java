package com.vtbatchsearch.app;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.naming.InitialContext;
import javax.naming.NamingException;

/**
 * Finds the executor the worker runs on: the container's managed executor where there is one (TomEE,
 * through the {@code concurrent/lookupExecutor} resource reference in web.xml and tomee.xml), else an
 * executor of the app's own (plain Tomcat). Only {@link ExecutorService} is named here: a class
 * mentioning a {@code jakarta.enterprise.concurrent} type would not even load on plain Tomcat.
 */
final class ExecutorProvider implements AutoCloseable {
    static final String JNDI_NAME = "java:comp/env/concurrent/lookupExecutor";
    private static final Logger LOG = Logger.getLogger(ExecutorProvider.class.getName());

    private final ExecutorService executor;
    private final boolean owned;

    private ExecutorProvider(ExecutorService executor, boolean owned) {
        this.executor = executor;
        this.owned = owned;
    }

    /** @param threads how many long-running workers the executor must run at once */
    static ExecutorProvider lookupOrCreate(int threads) {
        try {
            Object found = new InitialContext().lookup(JNDI_NAME);
            if (found instanceof ExecutorService managed) {
                LOG.info("lookup worker runs on the container's managed executor " + JNDI_NAME);
                return new ExecutorProvider(managed, false);
            }
        } catch (NamingException | RuntimeException | LinkageError e) {
            LOG.fine(() -> "no managed executor at " + JNDI_NAME + ": " + e);
        }
        LOG.info("no managed executor in this container; the lookup workers run on the app's own threads");
        AtomicInteger number = new AtomicInteger();
        return new ExecutorProvider(Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "vt-lookup-worker-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }), true);
    }

    ExecutorService executor() {
        return executor;
    }

    boolean isManaged() {
        return !owned;
    }

    /** Shuts down an executor of our own; a managed one belongs to the container. */
    @Override
    public void close() {
        if (owned) {
            executor.shutdownNow();
            try {
                if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
                    LOG.warning("the app's lookup executor did not terminate within 2 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
