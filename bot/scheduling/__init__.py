"""Scheduled pushes: schedules in tables, a persistent outbox, receipts, workdays and a leader lock."""
