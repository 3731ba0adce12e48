"""The data set as ``manage.py seed_bench --output`` describes it: bearer tokens and account ids
of the five roles, and the ``max_id`` of the deep page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROLES = ("v500", "v20", "sparse", "popular", "quiet")


class DataSetError(ValueError):
    pass


@dataclass(frozen=True)
class DataSet:
    tokens: dict[str, str]
    accounts: dict[str, str]
    deep_max_id: str

    def token(self, role: str) -> str:
        return self.tokens[role]

    def account_id(self, role: str) -> int:
        return int(self.accounts[role])


def parse_data_set(data: dict[str, object]) -> DataSet:
    try:
        tokens = data["tokens"]
        accounts = data["accounts"]
        deep_max_id = data["deep_max_id"]
    except KeyError as exc:
        raise DataSetError(f"the seed output has no {exc.args[0]!r}") from exc
    if not isinstance(tokens, dict) or not isinstance(accounts, dict):
        raise DataSetError("tokens and accounts must be objects")
    missing = [role for role in ROLES if role not in tokens or role not in accounts]
    if missing:
        raise DataSetError(f"the seed output lacks the roles {missing}")
    return DataSet(
        tokens={role: str(tokens[role]) for role in ROLES},
        accounts={role: str(accounts[role]) for role in ROLES},
        deep_max_id=str(deep_max_id),
    )


def load_data_set(path: Path) -> DataSet:
    return parse_data_set(json.loads(path.read_text()))
