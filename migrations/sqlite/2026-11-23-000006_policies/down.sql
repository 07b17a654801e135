DROP TABLE face_policy_changes;
ALTER TABLE clients DROP COLUMN required_acr;
