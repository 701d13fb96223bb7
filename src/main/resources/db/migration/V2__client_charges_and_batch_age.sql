-- Per-client upload budgets without Redis: one row per granted charge, pruned as they age out.
CREATE TABLE client_charges (
  id         TEXT PRIMARY KEY,
  client     TEXT NOT NULL,
  budget     TEXT NOT NULL,
  charged_at BIGINT NOT NULL,
  amount     INTEGER NOT NULL
);
CREATE INDEX client_charges_client ON client_charges(client, budget, charged_at);
CREATE INDEX client_charges_time ON client_charges(budget, charged_at);

-- Expiry (BATCH_RETENTION_DAYS) finds the oldest batches without reading them all.
CREATE INDEX batches_created ON batches(created_at);
