"""Bentley iTwin IoT: `client` speaks HTTP; the provider maps and decides."""
