"""Conversation features. Every module here is found automatically.

A module declares handlers with ``bot.handler.handler`` and may define
``async def setup(bot)`` / ``async def teardown(bot)`` to prepare services it needs.
"""
