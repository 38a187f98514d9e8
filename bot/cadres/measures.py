"""Development measures of a reserve cadre written in one cell: “挂职：某县副县长（2025-03-01至2026-02-28）；轮岗：…”."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.cadres.dates import DateError, parse_date

_ITEM = re.compile(
    r"^(?:(?P<kind>[^:：（(]{1,8})[:：])?\s*(?P<content>.*?)\s*"
    r"(?:[（(]\s*(?P<start>[^）)]*?)\s*(?:至|到|~|～|—+)\s*(?P<end>[^）)]*?)\s*[)）])?$"
)
_SPLIT = re.compile(r"[；;\n]+")
KNOWN_KINDS = frozenset({"挂职", "轮岗", "交流", "调训", "培训", "驻村", "援派", "跟班学习", "蹲点"})


@dataclass(frozen=True)
class Measure:
    kind: str
    content: str
    start: date | None
    end: date | None

    def render(self) -> str:
        text = f"{self.kind}：{self.content}" if self.content else self.kind
        if self.start or self.end:
            text += f"（{self.start.isoformat() if self.start else ''}至{self.end.isoformat() if self.end else ''}）"
        return text


def parse_measures(cell: str) -> list[Measure]:
    """Raises ValueError naming the item that could not be read."""
    out: list[Measure] = []
    for item in (part.strip() for part in _SPLIT.split(cell or "")):
        if not item:
            continue
        m = _ITEM.match(item)
        if m is None or not (m["content"] or m["kind"]):
            raise ValueError(f"无法识别的培养措施 {item[:30]!r}，请写成“挂职：某县副县长（2025-03-01至2026-02-28）”")
        try:
            start = parse_date(m["start"]) if m["start"] else None
            end = parse_date(m["end"]) if m["end"] else None
        except DateError as exc:
            raise ValueError(f"培养措施 {item[:30]!r} 的日期有误：{exc}") from None
        if start and end and end < start:
            raise ValueError(f"培养措施 {item[:30]!r} 的结束日期早于开始日期")
        kind, content = (m["kind"] or "").strip(), m["content"].strip()
        if not kind:
            kind, content = (content, "") if content in KNOWN_KINDS else ("其他", content)
        out.append(Measure(kind, content, start, end))
    return out


def render_measures(measures: list[Measure]) -> str:
    return "；".join(m.render() for m in measures)
