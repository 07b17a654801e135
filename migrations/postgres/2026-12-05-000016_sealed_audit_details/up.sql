-- Audit details sealed under the master key (AES-256-GCM, AAD
-- audit_events/detail/SEQ); `detail` is empty for such rows. The chain
-- covers an HMAC of the detail under the audit-seal key.
ALTER TABLE audit_events ADD COLUMN sealed_detail BYTEA;
