"""Thin click commands: parse, call one function, map errors to exit codes."""
