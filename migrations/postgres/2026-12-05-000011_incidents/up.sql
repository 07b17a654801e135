-- Incident actions (docs/operations.md "Incident actions"). Address ranges
-- refused on every route but the health checks; a lifted or expired block
-- stays as history.
CREATE TABLE blocked_networks (
    id TEXT PRIMARY KEY NOT NULL,
    network TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    lifted_at BIGINT,
    lifted_by TEXT
);
CREATE INDEX blocked_networks_live ON blocked_networks(lifted_at, expires_at);

-- Sign-ins older than `after` no longer count: sessions, unredeemed codes and
-- refresh tokens from before it are refused. `subject` is a person's id or
-- '*' for everyone.
CREATE TABLE reauth_floors (
    subject TEXT PRIMARY KEY NOT NULL,
    after BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- Deployment-wide switches of the incident actions: `face_sign_in` = 'off'
-- turns the face step off on every server until it is set back to 'on'.
CREATE TABLE incident_switches (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
