"""orgbot engine: configuration, storage, channels, routing, scheduling wiring and the CLI."""

__version__ = "0.1.0"
