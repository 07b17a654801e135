-- Nothing to store: on SQLite, changes made by other connections are read
-- from PRAGMA data_version (src/db/changes.rs). Kept so that both backends
-- have the same migrations.
SELECT 1;
