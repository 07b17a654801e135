DROP TABLE job_leases;
DROP TABLE audit_checkpoints;
