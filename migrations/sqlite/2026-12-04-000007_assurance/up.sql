-- The session that signed in during a login transaction: only that session
-- answers the transaction's sign-in (prompt=login, max_age, step-up); an
-- older session reaching the consent form does not.
ALTER TABLE login_transactions ADD COLUMN signed_in_sid TEXT;

-- What a client may ask for itself (client_credentials): its own service
-- scopes (JSON list) and the audiences (RFC 8707 resource indicators) its
-- tokens may name. Empty: none (admin scopes still follow the client's role).
ALTER TABLE clients ADD COLUMN service_scopes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '[]';

-- Seals of the audit chain: every minute the head (last sequence number and
-- hash) is MACed under a key derived from the master key (not in the
-- database), each seal also covering the previous one. Rewriting sealed
-- history, or dropping a seal in the middle, no longer verifies.
CREATE TABLE audit_seals (
    seq BIGINT PRIMARY KEY NOT NULL,
    head TEXT NOT NULL,
    mac TEXT NOT NULL,
    at BIGINT NOT NULL
);
