"""The shared database (SQLite or PostgreSQL) and its schema's migrations."""
