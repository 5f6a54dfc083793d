"""Fixtures for planner tests."""

from __future__ import annotations

import pytest
from engine_fakes import FakeStore


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()
