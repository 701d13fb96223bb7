-- A big upload is answered as soon as its hashes are kept here, in one row: its batch and items are then
-- written in the background (batch/StagedUploadRepository), in one transaction that also deletes this row.
-- Until then the batch does not exist, and the report and the API say it is being stored. A row left by a
-- stopped instance is stored by the next one that looks (every few seconds, and at start).
CREATE TABLE staged_uploads (
  batch_id     TEXT PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  unique_count INTEGER NOT NULL,
  hashes       BYTEA NOT NULL
);
