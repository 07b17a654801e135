ALTER TABLE face_templates DROP COLUMN expiry_warned_at;
ALTER TABLE face_templates DROP COLUMN last_used_at;
