"""Alembic revision files, one per schema change, oldest first (`0001` is release 0.1)."""
