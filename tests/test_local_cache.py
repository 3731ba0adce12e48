"""The in-process layer in front of the render cache (fedisocial/local_cache.py)."""

from __future__ import annotations

from fedisocial.local_cache import LocalCache


def test_keeps_the_newest_entries_up_to_its_size() -> None:
    local = LocalCache()
    local.set_many({f"k{i}": i for i in range(5)}, size=3)
    assert local.get_many([f"k{i}" for i in range(5)]) == {"k2": 2, "k3": 3, "k4": 4}
    local.set_many({"k5": 5}, size=3)
    assert local.get_many(["k2", "k3", "k5"]) == {"k3": 3, "k5": 5}
    assert len(local) == 3


def test_size_zero_keeps_nothing() -> None:
    local = LocalCache()
    local.set_many({"a": 1}, size=0)
    assert local.get_many(["a"]) == {}
