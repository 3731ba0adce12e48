"""Print the pinned requirements from pyproject.toml, one per line, for ``pip install -r``.

``python .ci/requirements.py`` prints [project] dependencies; ``--group dev`` adds that
dependency group (PEP 735, ``{include-group = ...}`` entries followed). pyproject.toml stays the
only list of dependencies; pip needs no PEP 735 support and the project no build step.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path


def group(groups: dict[str, list], name: str, seen: set[str]) -> list[str]:
    if name in seen:
        return []
    seen.add(name)
    out: list[str] = []
    for entry in groups[name]:
        if isinstance(entry, dict):
            out += group(groups, entry["include-group"], seen)
        else:
            out.append(entry)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--group", action="append", default=[], help="dependency group to add")
    parser.add_argument("--pyproject", default=str(Path(__file__).parent.parent / "pyproject.toml"))
    args = parser.parse_args()
    data = tomllib.loads(Path(args.pyproject).read_text())
    requirements = list(data["project"]["dependencies"])
    seen: set[str] = set()
    for name in args.group:
        requirements += group(data.get("dependency-groups", {}), name, seen)
    print("\n".join(requirements))


if __name__ == "__main__":
    main()
