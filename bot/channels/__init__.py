"""Channels: each converts a platform's traffic to the neutral model and back, and verifies it.

A channel never imports a handler; it hands verified messages to the bot and
delivers what comes back.
"""
