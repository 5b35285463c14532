"""Connectors: what Ponte can talk to. Nothing here imports Flask or SQLAlchemy."""
