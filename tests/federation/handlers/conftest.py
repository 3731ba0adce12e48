"""Fixtures shared by the handler tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def carol(make_user: Any) -> Any:
    """A local user who follows nobody yet (alice is the one the fixtures address)."""
    return make_user("carol")
