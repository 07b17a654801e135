DROP TRIGGER users_changed ON users;
DROP TRIGGER clients_changed ON clients;
DROP TRIGGER tokens_changed ON tokens;
DROP FUNCTION visage_notify_change();
