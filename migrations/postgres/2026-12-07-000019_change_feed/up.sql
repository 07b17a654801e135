-- Tell every instance when a row it may hold in memory changed
-- (src/db/changes.rs): one notice per statement, folded per transaction,
-- delivered when it commits.
CREATE FUNCTION visage_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('visage_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION visage_notify_change();
CREATE TRIGGER clients_changed AFTER UPDATE OR DELETE OR TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION visage_notify_change();
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION visage_notify_change();
