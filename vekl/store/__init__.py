"""The store: SQLAlchemy models, the engine and sessions, and Alembic migrations."""
