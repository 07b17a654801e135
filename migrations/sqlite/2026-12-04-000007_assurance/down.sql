ALTER TABLE login_transactions DROP COLUMN signed_in_sid;
