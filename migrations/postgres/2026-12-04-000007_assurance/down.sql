DROP TABLE audit_seals;
ALTER TABLE clients DROP COLUMN audiences;
ALTER TABLE clients DROP COLUMN service_scopes;
ALTER TABLE login_transactions DROP COLUMN signed_in_sid;
