package com.vtbatchsearch.store;

/**
 * How the SQLite file is shared between the app's connections (setting {@code SQLITE_JOURNAL_MODE}).
 */
public enum SqliteJournalMode {
    /**
     * Write-ahead log with a pool of connections: readers never wait for the writer. Needs a local file
     * system, since WAL keeps its index in shared memory beside the file.
     */
    WAL,
    /**
     * Rollback journal, {@code locking_mode=EXCLUSIVE} and one pooled connection: no shared memory, and
     * the file lock is taken once and kept. For network shares such as App Service's {@code /home}
     * (SMB), where WAL is refused and lock changes fail with "database is locked". Requests then use
     * the database one at a time.
     */
    DELETE
}
