"""Persistence: the async engine, the ORM tables and the migrations that create them."""
