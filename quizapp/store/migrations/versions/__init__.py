"""Alembic revisions (a package so that wheels include them; alembic ignores this file)."""
