"""Tables, the catalogue writer and searches (SQLite FTS5, PostgreSQL full text), and the answer cache."""
