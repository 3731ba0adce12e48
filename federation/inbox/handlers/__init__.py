"""One module per activity type; each registers its handler with ``federation.inbox.dispatch``.
Importing this package registers them all."""

from importlib import import_module

MODULES = (
    "accept",
    "add",
    "announce",
    "block",
    "create",
    "delete",
    "flag",
    "follow",
    "like",
    "move",
    "reject",
    "remove",
    "undo",
    "update",
)

for _name in MODULES:
    try:
        import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _error:  # a handler not written yet: its type is dropped
        if _error.name != f"{__name__}.{_name}":
            raise
