DROP INDEX users_created;
DROP INDEX audit_events_at;
ALTER TABLE invitations DROP COLUMN role;
DROP TABLE admin_roles;
