-- The session that signed in during a login transaction: only that session
-- answers the transaction's sign-in (prompt=login, max_age, step-up); an
-- older session reaching the consent form does not.
ALTER TABLE login_transactions ADD COLUMN signed_in_sid TEXT;
