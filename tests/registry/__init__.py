"""Registry tests: a real SQLite file in tmp_path, written from several processes."""
