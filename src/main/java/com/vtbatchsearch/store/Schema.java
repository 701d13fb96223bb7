package com.vtbatchsearch.store;

import java.util.List;

/** The tables, created at start-up when missing. Times are epoch milliseconds (UTC). */
final class Schema {
    private Schema() {
    }

    static final List<String> STATEMENTS = List.of(
            """
            CREATE TABLE IF NOT EXISTS batches (
              id           TEXT PRIMARY KEY,
              created_at   BIGINT NOT NULL,
              found        BIGINT NOT NULL,
              unique_count INTEGER NOT NULL
            )""",
            """
            CREATE TABLE IF NOT EXISTS batch_items (
              batch_id  TEXT NOT NULL REFERENCES batches(id),
              position  INTEGER NOT NULL,
              hash      TEXT NOT NULL,
              hash_type TEXT NOT NULL,
              PRIMARY KEY (batch_id, position)
            )""",
            "CREATE INDEX IF NOT EXISTS batch_items_hash ON batch_items(hash)",
            // One row per hash ever asked for: the state of its lookup, and where its answer is.
            // refresh = 1: a stale answer (done or not_found) is being looked up again.
            """
            CREATE TABLE IF NOT EXISTS lookups (
              hash        TEXT PRIMARY KEY,
              status      TEXT NOT NULL,
              attempts    INTEGER NOT NULL DEFAULT 0,
              refresh     INTEGER NOT NULL DEFAULT 0,
              error       TEXT,
              sha256      TEXT,
              updated_at  BIGINT NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS lookups_status ON lookups(status)",
            // VirusTotal's answer for one file, shared by its md5, sha1 and sha256.
            """
            CREATE TABLE IF NOT EXISTS files (
              sha256        TEXT PRIMARY KEY,
              md5           TEXT,
              sha1          TEXT,
              malicious     INTEGER NOT NULL,
              suspicious    INTEGER NOT NULL,
              undetected    INTEGER NOT NULL,
              harmless      INTEGER NOT NULL,
              label         TEXT,
              name          TEXT,
              file_type     TEXT,
              first_seen    BIGINT,
              last_analysis BIGINT,
              reputation    INTEGER,
              tags          TEXT,
              raw_json      TEXT NOT NULL,
              fetched_at    BIGINT NOT NULL
            )""",
            // Every request sent to VirusTotal, so the quota survives a restart.
            "CREATE TABLE IF NOT EXISTS api_calls (called_at BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS api_calls_time ON api_calls(called_at)",
            // Per-client upload budgets without Redis: one row per granted charge, pruned as they age out.
            """
            CREATE TABLE IF NOT EXISTS client_charges (
              id         TEXT PRIMARY KEY,
              client     TEXT NOT NULL,
              budget     TEXT NOT NULL,
              charged_at BIGINT NOT NULL,
              amount     INTEGER NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS client_charges_client ON client_charges(client, budget, charged_at)",
            "CREATE INDEX IF NOT EXISTS client_charges_time ON client_charges(budget, charged_at)",
            // Expiry (BATCH_RETENTION_DAYS) finds the oldest batches without reading them all.
            "CREATE INDEX IF NOT EXISTS batches_created ON batches(created_at)");
}
