"""Request parameters as Rails parses them, for query strings, forms, multipart and JSON alike.

Mastodon apps send ``media_ids[]=1&media_ids[]=2``, ``poll[options][]=a``,
``fields_attributes[0][name]=x`` or the same shapes as JSON; views read one nested dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request

from fedisocial.api.errors import UnprocessableEntity

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts += _KEY_PART.findall("[" + rest)
    return parts


def _assign(target: dict[str, Any], parts: list[str], value: Any) -> None:
    node: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else parts[i + 1]
        if part == "":
            # `a[]` appends; `a[][b]` is not used by Mastodon clients, treated as append.
            if not isinstance(node, list):
                return
            if last:
                node.append(value)
            else:
                node.append({} if nxt != "" else [])
                node = node[-1]
            continue
        if isinstance(node, list):
            return
        if last:
            node[part] = value
        else:
            if not isinstance(node.get(part), (dict, list)):
                node[part] = [] if nxt == "" else {}
            node = node[part]


def parse_flat(items: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in items:
        parts = _split_key(key)
        if parts[-1] == "" or len(parts) > 1:
            _assign(out, parts, value)
        else:
            out[key] = value
    return out


def _items(data: Any) -> list[tuple[str, Any]]:
    if hasattr(data, "lists"):
        items: list[tuple[str, Any]] = []
        for key, values in data.lists():
            if key.endswith("[]"):
                items += [(key, v) for v in values]
            else:
                items.append((key, values[-1]))
        return items
    if isinstance(data, Mapping):
        return list(data.items())
    return []


def request_params(request: Request) -> dict[str, Any]:
    """Query string, then body, merged into one nested dict (the body wins)."""
    cached = getattr(request, "_rails_params", None)
    if cached is not None:
        return cached
    params = parse_flat(_items(request.query_params))
    try:
        data = request.data
    except Exception as exc:  # a malformed JSON or form body
        raise UnprocessableEntity("Invalid request body") from exc
    if isinstance(data, Mapping) and not hasattr(data, "lists"):
        # JSON: already nested, but keys may still be Rails-style (`media_ids[]`).
        params.update(parse_flat(list(data.items())))
    else:
        params.update(parse_flat(_items(data)))
    request._rails_params = params  # type: ignore[attr-defined]
    return params


TRUE_VALUES = {"true", "1", "on", "t", "yes"}
FALSE_VALUES = {"false", "0", "off", "f", "no", ""}


def to_bool(value: Any, default: bool | None = False) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    text = str(value).strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return default


def to_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def to_list(value: Any) -> list[Any]:
    """A Rails array: a list, a dict indexed "0", "1"... (fields_attributes), or one value."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        try:
            return [value[k] for k in sorted(value, key=lambda k: int(k))]
        except ValueError:
            return list(value.values())
    return [value]


def to_str_list(value: Any) -> list[str]:
    return [str(v) for v in to_list(value) if v is not None and v != ""]
