DROP TABLE face_light_history;
