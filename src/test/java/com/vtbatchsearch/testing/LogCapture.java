package com.vtbatchsearch.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures every java.util.logging line (the app's and the libraries', which reach JUL through SLF4J)
 * while open, with the named loggers turned up to their most detailed level, as an operator who
 * debugs a connection would.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final List<String> lines = new ArrayList<>();
    private final List<Logger> loudest = new ArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    public LogCapture(String... verboseLoggers) {
        setLevel(Level.ALL);
        for (String name : verboseLoggers) {
            Logger logger = Logger.getLogger(name);
            logger.setLevel(Level.ALL);
            loudest.add(logger);
        }
        Logger.getLogger("").addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        lines.add(record.getLoggerName() + " " + record.getLevel() + " " + formatter.format(record));
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines that contain {@code text}. */
    public List<String> containing(String text) {
        return lines().stream().filter(line -> line.contains(text)).toList();
    }

    /** Fails when a captured line holds any of {@code secrets}. */
    public void assertAbsent(String... secrets) {
        for (String secret : secrets) {
            if (!containing(secret).isEmpty()) {
                throw new AssertionError("a secret is in a log line: " + containing(secret));
            }
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
        loudest.forEach(logger -> logger.setLevel(null));
    }
}
