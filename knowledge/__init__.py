"""orgbot knowledge: a standalone policy Q&A engine for Chinese Party-work documents.

Import .txt/.md/.docx/.pdf texts and FAQ sheets, split them by structure (章/节/条,
一、/（一）/1.), and answer colloquial chat questions with a citation, a clarifying menu,
or an honest "unknown". Uses only the database engine it is given; no bot imports.
"""

from importlib import resources
from pathlib import Path

from .decide import Answer, Source, Thresholds
from .engine import DocumentInfo, ImportReport, KnowledgeBase, KnowledgeImportError
from .glossary import Glossary
from .parsing import DocumentError
from .store import metadata


def bundled_corpus() -> Path:
    """Folder of the demo corpus shipped with the package (two regulations, a 2003
    speech, a demo FAQ sheet and catalog.toml with their metadata)."""
    return Path(str(resources.files("knowledge").joinpath("corpus")))


def bundled_corpus_texts() -> list[Path]:
    """The three bundled texts without the demo FAQ (what bench/kb_eval is written for)."""
    folder = bundled_corpus()
    return sorted(folder.glob("*.txt"))


__all__ = [
    "Answer",
    "DocumentError",
    "DocumentInfo",
    "Glossary",
    "ImportReport",
    "KnowledgeBase",
    "KnowledgeImportError",
    "Source",
    "Thresholds",
    "bundled_corpus",
    "bundled_corpus_texts",
    "metadata",
]
