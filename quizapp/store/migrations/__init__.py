"""Alembic migrations for the progress database (a package so that wheels include them)."""
