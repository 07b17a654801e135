ALTER TABLE audit_events DROP COLUMN sealed_detail;
