-- Audit retention (docs/operations.md "Retention"): before a purge deletes
-- expired events up to `upto_seq`, it writes a checkpoint sealed under the
-- master key: the hash of event `upto_seq` (what the next event chains to)
-- and a digest of the (seq, hash) of the events it keeps up to there.
CREATE TABLE audit_checkpoints (
    id BIGINT PRIMARY KEY NOT NULL,
    upto_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    kept_digest TEXT NOT NULL,
    kept BIGINT NOT NULL,
    at BIGINT NOT NULL,
    mac TEXT NOT NULL
);

-- Scheduled jobs run by one server at a time: the holder of a job's lease
-- until `until`.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
