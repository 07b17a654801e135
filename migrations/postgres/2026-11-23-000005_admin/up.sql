-- Who may administer Visage: people (the console) and clients (the admin API
-- with client credentials). Roles: owner, admin, auditor (read-only).
CREATE TABLE admin_roles (
    subject TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    role TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL
);

-- An invitation may make the person who uses it an administrator.
ALTER TABLE invitations ADD COLUMN role TEXT;

-- The console lists and searches these.
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX users_created ON users(created_at);
