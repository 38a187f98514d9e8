"""Read and split files for import, before anything touches the database.

Parsing everything first is what makes imports all-or-nothing: if any file is
unreadable or empty, the caller gets every error at once and writes nothing.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .faq import FaqRow, read_faq_sheet
from .parsing import SHEET_SUFFIXES, SUPPORTED_SUFFIXES, DocumentError, read_lines
from .splitter import Passage, clean_title, display_title, split_document
from .upload_guard import check_upload

CATALOG_NAME = "catalog.toml"


@dataclass
class ParsedDocument:
    """A file ready to be written: metadata plus passages or FAQ rows."""

    doc_key: str
    title: str
    kind: str  # "text" | "faq"
    source_path: str
    content_hash: str
    issuer: str | None = None
    issued_on: date | None = None
    effective_on: date | None = None
    superseded_on: date | None = None
    passages: list[Passage] = field(default_factory=list)
    faq: list[FaqRow] = field(default_factory=list)

    @property
    def title_key(self) -> str:
        """Versions of one regulation share this key."""
        return clean_title(self.title)


# Files that describe a folder rather than being part of its content: skipped when a
# folder is imported (named explicitly, they are imported like any other file).
NON_CONTENT_STEMS = ("readme", "sources", "license", "licence", "changelog")


def is_non_content(path: Path) -> bool:
    """README*/SOURCES*/LICENSE*/CHANGELOG* and files starting with '.' or '_'."""
    name = path.name
    return name.startswith((".", "_")) or name.lower().startswith(NON_CONTENT_STEMS)


def expand_paths(paths: list[Path], skipped: list[Path] | None = None) -> list[Path]:
    """Files to import: given files as is, folders recursively (supported types only,
    minus the catalog, files the folder's catalog excludes and non-content files such as
    README.md or SOURCES.md, which are appended to ``skipped``), in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            excluded = set(load_catalog(p).get("exclude", []))
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.suffix.lower() not in SUPPORTED_SUFFIXES or f.name in excluded:
                    continue
                hidden = any(part.startswith((".", "_")) for part in f.relative_to(p).parts[:-1])
                if hidden or is_non_content(f):
                    if skipped is not None and not f.name.startswith("."):
                        skipped.append(f)
                    continue
                out.append(f)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def load_catalog(folder: Path) -> dict[str, Any]:
    """The folder's catalog.toml (document metadata sidecar), or {}."""
    path = folder / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DocumentError(path, f"目录文件格式错误（{exc}）") from exc


def parse_file(path: Path, catalog: dict[str, Any] | None = None) -> ParsedDocument:
    """Read one file; DocumentError names the file when it cannot be used."""
    if not path.is_file():
        raise DocumentError(path, "文件不存在")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(path, f"不支持的文件类型 {suffix or '（无扩展名）'}")
    if catalog is None:
        catalog = load_catalog(path.parent)
    entry: dict[str, Any] = dict(catalog.get("documents", {}).get(path.name, {}))
    check_upload(path, table=suffix in SHEET_SUFFIXES)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    doc_key = str(entry.get("doc_key") or path.stem)
    if suffix in SHEET_SUFFIXES:
        rows = read_faq_sheet(path)
        return ParsedDocument(
            doc_key=doc_key,
            title=display_title(str(entry.get("title") or path.stem)),
            kind="faq",
            source_path=str(path),
            content_hash=_meta_hash(digest, entry),
            issuer=entry.get("issuer"),
            faq=rows,
        )
    split = split_document(read_lines(path), fallback_title=str(entry.get("title") or path.stem))
    if not split.passages:
        raise DocumentError(path, "文件中没有可引用的正文段落")
    meta = split.meta
    return ParsedDocument(
        doc_key=doc_key,
        title=display_title(str(entry.get("title") or meta.title or path.stem)),
        kind="text",
        source_path=str(path),
        content_hash=_meta_hash(digest, entry),
        issuer=entry.get("issuer") or meta.issuer,
        issued_on=_date(entry.get("issued")) or meta.issued,
        effective_on=_date(entry.get("effective")) or meta.effective or _date(entry.get("issued")) or meta.issued,
        superseded_on=_date(entry.get("superseded")),
        passages=split.passages,
    )


def _meta_hash(file_digest: str, entry: dict[str, Any]) -> str:
    """Content hash covers the catalog entry too: fixing a title is a real change."""
    return hashlib.sha256((file_digest + repr(sorted(entry.items()))).encode()).hexdigest()


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return None
