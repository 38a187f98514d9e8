"""The ``[knowledge]`` section, owned by the knowledge service and the policy Q&A."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class KnowledgeConfig:
    index_dir: str = "data/index"
    fallback_contact: str = "请联系组织部相关科室"
    load_bundled_corpus: bool = False
    followup_minutes: int = 5
