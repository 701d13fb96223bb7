-- The line of the upload each hash first came from (at most 200 characters, the hash marked).
-- Null for the items of batches stored before it was kept.
ALTER TABLE batch_items ADD COLUMN context TEXT;
