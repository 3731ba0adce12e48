"""Request parameters as Rails parses them, for query strings, forms, multipart and JSON alike.

Mastodon apps send ``media_ids[]=1&media_ids[]=2``, ``poll[options][]=a``,
``fields_attributes[0][name]=x`` or the same shapes as JSON; views read one nested dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from rest_framework.request import Request

from fedisocial.api.errors import UnprocessableEntity

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts += _KEY_PART.findall("[" + rest)
    return parts


def _has_path(node: Any, parts: list[str]) -> bool:
    """Whether ``node`` (the last hash of an array) already holds the key path ``parts``."""
    if not isinstance(node, dict):
        return True  # not a hash: start a new element
    if "" in parts:
        return False  # a path with `[]` in it always goes into the last hash, as in Rack
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _assign(target: dict[str, Any], parts: list[str], value: Any) -> None:
    node: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else parts[i + 1]
        if part == "":
            # `a[]` appends. `a[][b]` fills the last hash of `a` until it already has `b`, then
            # starts a new one (Rack's rule), so `k[][keyword]=x&k[][whole_word]=1&k[][keyword]=y`
            # is two keywords (Mastodon's keywords_attributes).
            if not isinstance(node, list):
                return
            if last:
                node.append(value)
            elif nxt != "" and node and not _has_path(node[-1], parts[i + 1 :]):
                node = node[-1]
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


def _pairs(raw: str, encoding: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw,
            keep_blank_values=True,
            encoding=encoding,
            errors="replace",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError as exc:  # more fields than Django itself would accept
        raise UnprocessableEntity("Too many parameters") from exc


def _ordered_query(request: Request) -> list[tuple[str, Any]]:
    """The query string's pairs in the order sent (a QueryDict keeps each key's values but not
    how keys interleave, which ``a[][b]`` arrays depend on)."""
    raw = request._request.META.get("QUERY_STRING", "")
    if not raw.isascii():  # raw bytes as latin-1 (WSGI): leave decoding to Django
        return _items(request.query_params)
    return _pairs(raw, request._request.encoding or settings.DEFAULT_CHARSET)


def _ordered_form(request: Request) -> list[tuple[str, Any]] | None:
    """A url-encoded body's pairs in the order sent, read before DRF parses it (it then parses
    the same cached bytes); None for other bodies, or when the body was already consumed."""
    if not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        body = request._request.body
    except (RawPostDataException, RequestDataTooBig):  # DRF parses it as before
        return None
    encoding = request._request.encoding or settings.DEFAULT_CHARSET
    return _pairs(body.decode(encoding, errors="replace"), encoding)


def request_params(request: Request) -> dict[str, Any]:
    """Query string, then body, merged into one nested dict (the body wins)."""
    cached = getattr(request, "_rails_params", None)
    if cached is not None:
        return cached
    params = parse_flat(_ordered_query(request))
    form = _ordered_form(request)
    try:
        data = request.data
    except Exception as exc:  # a malformed JSON or form body
        raise UnprocessableEntity("Invalid request body") from exc
    if form is not None:
        params.update(parse_flat(form))
    elif isinstance(data, Mapping) and not hasattr(data, "lists"):
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
