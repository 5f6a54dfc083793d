"""Vendor providers: one package per platform; `http` holds the machinery their clients share."""
