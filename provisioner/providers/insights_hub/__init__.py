"""Siemens Insights Hub: `client` speaks HTTP; the provider maps and decides."""
