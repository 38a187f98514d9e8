"""Uploaded files, saved under their own (base) names in a private temporary folder for a service to read."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from aiohttp.web_request import FileField
from multidict import MultiDictProxy

UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


def safe_name(filename: str, index: int) -> str:
    """The browser's file name without any folder part; the importers read the suffix (and kind) from it.

    Some clients percent-encode non-ASCII names in ``filename=`` (Chrome only ``"`` and line breaks).
    """
    base = UNSAFE.sub("_", Path(unquote(filename).replace("\\", "/")).name).strip(" .")[-120:]
    return base or f"upload-{index}"


def save_uploads(form: MultiDictProxy[object], field: str, folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Write every file of ``field`` into ``folder``; a file whose type is not one of ``suffixes`` is refused."""
    paths: list[Path] = []
    for index, item in enumerate(form.getall(field, [])):
        if not isinstance(item, FileField) or not item.filename:
            continue
        name = safe_name(item.filename, index)
        if not name.lower().endswith(suffixes):
            raise ValueError(f"不支持的文件类型：{name}（可上传 {'、'.join(suffixes)}）")
        path = folder / name
        if path.exists():
            path = folder / f"{index}-{name}"
        path.write_bytes(item.file.read())
        paths.append(path)
    return paths
