"""``GET /source.tar.gz``: the source code this server runs, as the AGPL asks of a network
service. It is the default ``source_url`` in /api/v2/instance; an admin running a published
version can point SOURCE_URL at its repository instead.

Only source files are packed (an allow-list of suffixes below the project root), never DATA_DIR,
the virtualenv, environment files or anything else an instance keeps beside its code.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SOURCE_SUFFIXES = {
    ".py",
    ".html",
    ".css",
    ".js",
    ".md",
    ".toml",
    ".yml",
    ".yaml",
    ".txt",
    ".png",
    ".svg",
    ".sample",
    ".json",
}
SOURCE_NAMES = {"Makefile", "Dockerfile", "run", ".python-version", ".dockerignore", "LICENSE"}
SKIPPED_PARTS = {
    ".venv",
    ".git",
    "__pycache__",
    "node_modules",
    "staticfiles",
    ".ruff_cache",
    ".pytest_cache",
    "data",
}


def source_files(root: Path) -> list[Path]:
    data_dir = Path(settings.DATA_DIR).resolve()
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(root)
        if SKIPPED_PARTS & set(relative.parts) or path.resolve().is_relative_to(data_dir):
            continue
        if relative.name.startswith(".env") and not relative.name.endswith(".sample"):
            continue
        if path.suffix in SOURCE_SUFFIXES or relative.name in SOURCE_NAMES:
            files.append(path)
    return files


def source_archive(request: HttpRequest) -> HttpResponse:
    root = Path(settings.BASE_DIR)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in source_files(root):
            archive.add(path, arcname=f"fedisocial/{path.relative_to(root)}", recursive=False)
    response = HttpResponse(buffer.getvalue(), content_type="application/gzip")
    response["Content-Disposition"] = 'attachment; filename="fedisocial-source.tar.gz"'
    return response
