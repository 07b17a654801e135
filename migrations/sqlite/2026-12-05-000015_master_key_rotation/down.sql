DROP TABLE master_key_rotations;
DROP TABLE master_key_material;
