"""Import of staff, units, cadres, training and reserve sheets: validate every row, then apply all or nothing.

Nothing is written unless every row of every file is valid, because a half-imported
register is worse than none: people would get answers from a mix of old and new data.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.cadres import cells
from bot.cadres.masking import is_masked
from bot.cadres.measures import Measure, parse_measures, render_measures
from bot.cadres.models import Cadre, ReserveMeasure, ReserveRecord, TrainingRecord, Unit
from bot.cadres.sheets import SheetError, Table, read_tables
from bot.cadres.templates import APPLY_ORDER, BY_NAME, KINDS, Kind, is_example_row, kind_for_headers, normalize_header
from bot.cadres.units import find_cycle
from bot.roles import Role
from bot.staff import KNOWN_CHANNELS, USER_ID_RE, StaffError, StaffInput, upsert_staff
from bot.storage.models import Identity, Staff

Progress = Callable[[str, int, int], None]
SENSITIVE = {"id_card", "phone", "office_phone", "birth_date"}
CHUNK = 500


@dataclass(frozen=True)
class Issue:
    where: str
    row: int | None
    column: str
    message: str
    whole_file: bool = False

    def __str__(self) -> str:
        if self.whole_file:
            return self.message if self.message.startswith(self.where) else f"{self.where}：{self.message}"
        at = f"第 {self.row} 行" if self.row else "表头"
        col = f"，“{self.column}”列" if self.column else ""
        return f"{self.where} {at}{col}：{self.message}"


@dataclass
class Row:
    kind: Kind
    where: str
    number: int
    values: dict[str, Any]
    present: frozenset[str]

    def key(self) -> tuple[Any, ...]:
        return tuple(self.values.get(k) for k in self.kind.key_columns)


@dataclass
class KindChanges:
    created: list[str] = field(default_factory=list)
    updated: list[tuple[str, list[str]]] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class ImportReport:
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: dict[str, KindChanges] = field(default_factory=dict)
    rows: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues


def _noop(stage: str, done: int, total: int) -> None:
    return None


async def import_files(
    db: async_sessionmaker[AsyncSession],
    paths: Sequence[Path],
    *,
    hours_per_day: float = 8.0,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, check and (unless ``dry_run`` or any row is wrong) write; the report says what happened."""
    progress = progress or _noop
    report = ImportReport()
    tables: list[Table] = []
    for path in paths:
        try:
            tables.extend(read_tables(path))
        except SheetError as exc:
            report.issues.append(Issue(path.name, None, "", str(exc), whole_file=True))
    rows = _parse_tables(tables, report, hours_per_day, progress)
    report.rows = len(rows)
    if not rows and not report.issues:
        report.issues.append(Issue("、".join(p.name for p in paths), None, "", "没有可导入的数据行"))
    async with db() as session:
        try:
            async with session.begin():
                await _check_references(session, rows, report)
                if report.issues:
                    raise _Rejected
                await _apply(session, rows, report, progress)
                if dry_run:
                    raise _DryRun
            report.applied = True
        except (_Rejected, _Abort, _DryRun):
            report.applied = False
    return report


class _Abort(Exception):
    """A row failed while writing; the transaction rolls back and the report names the row."""


class _Rejected(Exception):
    """Some row is wrong: nothing is written."""


class _DryRun(Exception):
    """Roll back a complete, successful run."""


# --- reading and checking rows --------------------------------------------------------------


def _parse_tables(tables: list[Table], report: ImportReport, hours_per_day: float, progress: Progress) -> list[Row]:
    total = sum(len(t.rows) for t in tables)
    done = 0
    out: list[Row] = []
    for table in tables:
        headers = [normalize_header(h) for h in table.headers]
        kind = kind_for_headers(headers, f"{table.file} {table.sheet}")
        if kind is None:
            report.issues.append(Issue(table.where, table.header_row, "", _unknown_kind(headers)))
            continue
        known = {c.header: c for c in kind.columns}
        columns: list[tuple[int, Any]] = []
        seen: set[str] = set()
        header_ok = True
        for idx, header in enumerate(headers):
            if not header:
                continue
            if header in seen:
                report.issues.append(Issue(table.where, table.header_row, header, "列名重复"))
                header_ok = False
            seen.add(header)
            if header not in known:
                close = difflib.get_close_matches(header, list(known), n=1, cutoff=0.5)
                hint = f"（是不是“{close[0]}”？）" if close else f"。{kind.title}表可用的列：{'、'.join(known)}"
                report.issues.append(Issue(table.where, table.header_row, header, f"未知的列名{hint}"))
                header_ok = False
                continue
            columns.append((idx, known[header]))
        if not header_ok:
            continue
        present = frozenset(col.key for _, col in columns)
        for number, values in table.rows:
            done += 1
            if done % 200 == 0 or done == total:
                progress("检查", done, total)
            if is_example_row(values[0] if values else None):
                report.notes.append(f"{table.where} 第 {number} 行是模板示例行（以“示例”开头），已跳过")
                continue
            row = _parse_row(kind, table.where, number, values, columns, present, report, hours_per_day)
            if row is not None:
                out.append(row)
    return out


def _unknown_kind(headers: list[str]) -> str:
    shown = "、".join(h for h in headers if h) or "（空）"

    def missing_of(k: Kind) -> list[str]:
        return [c.header for c in k.columns if c.required and c.header not in headers]

    best = max(KINDS, key=lambda k: (sum(c.header in headers for c in k.columns), -len(missing_of(k))))
    missing = missing_of(best)
    return (
        f"无法识别是哪种表（表头为：{shown}）。"
        f"如果是{best.title}表，缺少必填列：{'、'.join(missing)}。可用 `orgbot data template 目录` 生成标准模板"
    )


def _parse_row(
    kind: Kind,
    where: str,
    number: int,
    values: list[Any],
    columns: list[tuple[int, Any]],
    present: frozenset[str],
    report: ImportReport,
    hours_per_day: float,
) -> Row | None:
    parsed: dict[str, Any] = {}
    bad = False

    def issue(column: str, message: str) -> None:
        nonlocal bad
        bad = True
        report.issues.append(Issue(where, number, column, message))

    for idx, col in columns:
        raw = values[idx] if idx < len(values) else None
        try:
            value = col.parse(raw)
        except cells.CellError as exc:
            issue(col.header, str(exc))
            continue
        if col.required and value in (None, ""):
            issue(col.header, "不能为空")
            continue
        parsed[col.key] = value
    if bad:
        return None
    check = _ROW_CHECKS.get(kind.name)
    if check is not None:
        for column, message in check(parsed, present, hours_per_day):
            issue(column, message)
    return None if bad else Row(kind, where, number, parsed, present)


def _check_staff(v: dict[str, Any], present: frozenset[str], _hpd: float) -> Iterable[tuple[str, str]]:
    if not USER_ID_RE.match(v["user_id"]):
        yield "用户ID", "只能包含字母、数字和 _ . @ -，最长 64 位"
    if v["role"] == "organizer" and not v.get("unit_scope"):
        yield "管理单位范围", "组织员必须填写管理的单位编码"


def _check_training(v: dict[str, Any], present: frozenset[str], hours_per_day: float) -> Iterable[tuple[str, str]]:
    if v.get("hours") is None:
        if v.get("days") is None:
            yield "学时", "学时和天数至少填一项"
        else:
            v["hours"] = round(v["days"] * hours_per_day, 1)
    end = v.get("end_date")
    if end is not None and end < v["start_date"]:
        yield "结束日期", f"结束日期 {end} 早于开始日期 {v['start_date']}"


def _check_reserve(v: dict[str, Any], present: frozenset[str], _hpd: float) -> Iterable[tuple[str, str]]:
    try:
        v["measures"] = parse_measures(v.get("measures") or "")
    except ValueError as exc:
        yield "培养措施", str(exc)
    exit_on = v.get("exit_on")
    if exit_on is not None and exit_on < v["entered_on"]:
        yield "退出日期", f"退出日期 {exit_on} 早于入库日期 {v['entered_on']}"
    if v.get("exit_reason") and exit_on is None:
        yield "退出日期", "填写了退出原因，但没有退出日期"


def _check_units(v: dict[str, Any], present: frozenset[str], _hpd: float) -> Iterable[tuple[str, str]]:
    if v.get("parent_code") and v["parent_code"] == v["code"]:
        yield "上级单位编码", "上级单位不能是自己"


_ROW_CHECKS = {"staff": _check_staff, "training": _check_training, "reserve": _check_reserve, "units": _check_units}


async def _in_chunks(session: AsyncSession, stmt_for: Callable[[list[Any]], Any], keys: Iterable[Any]) -> list[Any]:
    keys = list(keys)
    out: list[Any] = []
    for i in range(0, len(keys), CHUNK):
        out.extend((await session.execute(stmt_for(keys[i : i + CHUNK]))).all())
    return out


@dataclass
class _Known:
    """What rows may refer to: unit codes and cadre IDs in the database or in this import."""

    unit_codes: set[str]
    cadres: set[str]


async def _check_references(session: AsyncSession, rows: list[Row], report: ImportReport) -> None:
    """Duplicates inside the import, then each sheet kind's references, checked by its own validator.

    Unit rows are checked as a tree (parents exist, no cycle) before the others refer to units.
    """
    by_kind = _by_kind(rows)
    _check_duplicates(by_kind, report)
    known = _Known(await _check_unit_tree(session, by_kind["units"], report), set())
    known.cadres = await _known_cadres(session, by_kind)
    for kind, validate in _REFERENCE_CHECKS.items():
        await validate(session, by_kind[kind], known, report)


def _by_kind(rows: list[Row]) -> defaultdict[str, list[Row]]:
    by_kind: defaultdict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind.name].append(row)
    return by_kind


def _check_duplicates(by_kind: dict[str, list[Row]], report: ImportReport) -> None:
    for kind_rows in by_kind.values():
        first: dict[tuple[Any, ...], Row] = {}
        for row in kind_rows:
            other = first.setdefault(row.key(), row)
            if other is not row:
                head = row.kind.column(row.kind.key_columns[0]).header
                where = f"与 {other.where} 第 {other.number} 行重复（同一{_key_words(row.kind)}）"
                report.issues.append(Issue(row.where, row.number, head, where))


async def _check_unit_tree(session: AsyncSession, units: list[Row], report: ImportReport) -> set[str]:
    """Parents must exist and the tree stay a tree; returns every unit code after the import."""
    db_parents = {code: parent for code, parent in await session.execute(select(Unit.code, Unit.parent_code))}
    parents = dict(db_parents)
    for row in units:
        code = row.values["code"]
        kept = db_parents.get(code) if "parent_code" not in row.present else None
        parents[code] = row.values.get("parent_code") or kept
    for row in units:
        parent = row.values.get("parent_code")
        if parent and parent not in parents:
            message = f"上级单位 {parent} 不存在（单位表和数据库中都没有）"
            report.issues.append(Issue(row.where, row.number, "上级单位编码", message))
    cycle = find_cycle(parents)
    if cycle:
        at = next((r for r in units if r.values["code"] in cycle), None)
        report.issues.append(
            Issue(
                at.where if at else "单位",
                at.number if at else None,
                "上级单位编码",
                "单位上下级形成了循环：" + " → ".join(cycle),
            )
        )
    return set(parents)


async def _existing_cadres(session: AsyncSession, ids: Iterable[str]) -> set[str]:
    stmt_for = lambda ks: select(Cadre.cadre_id).where(Cadre.cadre_id.in_(ks))  # noqa: E731
    return {cid for (cid,) in await _in_chunks(session, stmt_for, ids)}


async def _known_cadres(session: AsyncSession, by_kind: dict[str, list[Row]]) -> set[str]:
    referenced = {r.values["cadre_id"] for k in ("training", "reserve") for r in by_kind[k]}
    referenced |= {r.values["cadre_id"] for r in by_kind["staff"] if r.values.get("cadre_id")}
    return {r.values["cadre_id"] for r in by_kind["cadres"]} | await _existing_cadres(session, referenced)


async def _check_cadre_rows(session: AsyncSession, rows: list[Row], known: _Known, report: ImportReport) -> None:
    for row in rows:
        if row.values["unit_code"] not in known.unit_codes:
            message = f"单位 {row.values['unit_code']} 不存在，请先在单位表中添加"
            report.issues.append(Issue(row.where, row.number, "单位编码", message))
    masked = [r for r in rows if is_masked(r.values.get("id_card", "")) or is_masked(r.values.get("phone", ""))]
    if masked:
        on_file = await _existing_cadres(session, [r.values["cadre_id"] for r in masked])
        for row in masked:
            if row.values["cadre_id"] not in on_file:
                message = "是脱敏后的值（含 *），新干部需要填写完整号码"
                report.issues.append(Issue(row.where, row.number, "身份证号", message))


async def _check_record_rows(session: AsyncSession, rows: list[Row], known: _Known, report: ImportReport) -> None:
    """Training and reserve rows belong to a cadre on file or in this import."""
    for row in rows:
        if row.values["cadre_id"] not in known.cadres:
            message = f"干部 {row.values['cadre_id']} 不在干部表中，请先导入干部表（或与本表一起导入）"
            report.issues.append(Issue(row.where, row.number, "干部编号", message))


ACCOUNT_LABELS = {"wecom": "企业微信账号", "dingtalk": "钉钉账号", "feishu": "飞书账号"}


async def _check_staff_rows(session: AsyncSession, rows: list[Row], known: _Known, report: ImportReport) -> None:
    taken = await _taken_accounts(session) if any(r.values.get(ch) for r in rows for ch in KNOWN_CHANNELS) else {}
    seen: dict[tuple[str, str], Row] = {}
    for row in rows:
        v = row.values
        for field_name, label in (("unit", "所在单位编码"), ("unit_scope", "管理单位范围")):
            if v.get(field_name) and v[field_name] not in known.unit_codes:
                message = f"单位 {v[field_name]} 不存在，请先在单位表中添加"
                report.issues.append(Issue(row.where, row.number, label, message))
        if v.get("cadre_id") and v["cadre_id"] not in known.cadres:
            report.issues.append(Issue(row.where, row.number, "干部编号", f"干部 {v['cadre_id']} 不在干部表中"))
        for ch, uid in ((ch, v.get(ch)) for ch in KNOWN_CHANNELS):
            if not uid:
                continue
            owner = taken.get((ch, uid))
            if owner is not None and owner != v["user_id"]:
                report.issues.append(Issue(row.where, row.number, ACCOUNT_LABELS[ch], f"{uid} 已绑定给人员 {owner}"))
            other = seen.setdefault((ch, uid), row)
            if other is not row:
                message = f"{uid} 与第 {other.number} 行重复"
                report.issues.append(Issue(row.where, row.number, ACCOUNT_LABELS[ch], message))
                seen[(ch, uid)] = row


async def _taken_accounts(session: AsyncSession) -> dict[tuple[str, str], str]:
    stmt = select(Identity.channel, Identity.platform_user_id, Staff.user_id).join(Staff, Staff.id == Identity.staff_id)
    return {(ch, uid): owner for ch, uid, owner in await session.execute(stmt)}


_REFERENCE_CHECKS: dict[str, Callable[[AsyncSession, list[Row], _Known, ImportReport], Awaitable[None]]] = {
    "cadres": _check_cadre_rows,
    "training": _check_record_rows,
    "reserve": _check_record_rows,
    "staff": _check_staff_rows,
}


def _key_words(kind: Kind) -> str:
    return "、".join(kind.column(k).header for k in kind.key_columns)


# --- applying -------------------------------------------------------------------------------


def _show(key: str, value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return render_measures(value) or "（空）"
    return str(value) if value not in (None, "") else "（空）"


def _assign(obj: Any, kind: Kind, row: Row, fields: Iterable[str]) -> list[str]:
    """Set the row's present columns on obj; returns “列：旧 → 新” for each change (sensitive ones unshown)."""
    diffs: list[str] = []
    for name in fields:
        if name not in row.present and not (name == "hours" and "days" in row.present):
            continue
        new = row.values.get(name)
        if name in ("id_card", "phone", "office_phone") and isinstance(new, str) and is_masked(new):
            continue
        if new is None and not isinstance(getattr(obj, name), (date, type(None))):
            new = ""
        old = getattr(obj, name)
        if old == new:
            continue
        setattr(obj, name, new)
        header = kind.column(name).header
        if name in SENSITIVE:
            diffs.append(f"{header}已更新")
        else:
            diffs.append(f"{header}：{_show(name, old)} → {_show(name, new)}")
    return diffs


def _record(changes: KindChanges, key: str, created: bool, diffs: list[str]) -> None:
    if created:
        changes.created.append(key)
    elif diffs:
        changes.updated.append((key, diffs))
    else:
        changes.unchanged += 1


@dataclass(frozen=True)
class _Upsert:
    """How one sheet kind is written: load what exists by key, create what is new, then set the columns.

    ``label`` names a row in the report; ``more`` sets what plain columns cannot (reserve measures)
    and returns its own change lines.
    """

    load: Callable[[AsyncSession, list[Row]], Awaitable[dict[tuple[Any, ...], Any]]]
    create: Callable[[dict[str, Any]], Any]
    fields: tuple[str, ...]
    label: Callable[[Any], str]
    more: Callable[[Any, Row], list[str]] | None = None


async def _apply(session: AsyncSession, rows: list[Row], report: ImportReport, progress: Progress) -> None:
    """Write kind by kind in ``APPLY_ORDER``, so whatever a row refers to is written before it."""
    by_kind = _by_kind(rows)
    total, done = len(rows), 0
    for name in APPLY_ORDER:
        if not by_kind[name]:
            continue
        changes = report.changes.setdefault(name, KindChanges())
        for _ in await _write_kind(session, name, by_kind[name], changes, report):
            done += 1
            if done % 200 == 0 or done == total:
                progress("写入", done, total)
        await session.flush()


async def _write_kind(
    session: AsyncSession, name: str, rows: list[Row], changes: KindChanges, report: ImportReport
) -> list[Row]:
    if name == "staff":
        for row in rows:
            await _apply_staff(session, row, changes, report)
        return rows
    spec = _UPSERTS[name]
    kind = BY_NAME[name]
    existing = await spec.load(session, rows)
    for row in rows:
        obj = existing.get(row.key())
        created = obj is None
        if obj is None:
            obj = existing[row.key()] = spec.create(row.values)
            session.add(obj)
        diffs = _assign(obj, kind, row, spec.fields)
        if spec.more is not None:
            diffs += spec.more(obj, row)
        _record(changes, spec.label(obj), created, diffs)
    return rows


async def _load_chunked(
    session: AsyncSession,
    stmt_for: Callable[[list[Any]], Any],
    ids: Iterable[Any],
    key: Callable[[Any], tuple[Any, ...]],
) -> dict[tuple[Any, ...], Any]:
    ids = list(dict.fromkeys(ids))
    found: dict[tuple[Any, ...], Any] = {}
    for i in range(0, len(ids), CHUNK):
        for obj in await session.scalars(stmt_for(ids[i : i + CHUNK])):
            found[key(obj)] = obj
    return found


async def _load_units(session: AsyncSession, rows: list[Row]) -> dict[tuple[Any, ...], Any]:
    return {(u.code,): u for u in await session.scalars(select(Unit))}


async def _load_cadres(session: AsyncSession, rows: list[Row]) -> dict[tuple[Any, ...], Any]:
    return await _load_chunked(
        session,
        lambda ks: select(Cadre).where(Cadre.cadre_id.in_(ks)),
        (r.values["cadre_id"] for r in rows),
        lambda c: (c.cadre_id,),
    )


async def _load_training(session: AsyncSession, rows: list[Row]) -> dict[tuple[Any, ...], Any]:
    return await _load_chunked(
        session,
        lambda ks: select(TrainingRecord).where(TrainingRecord.cadre_id.in_(ks)),
        (r.values["cadre_id"] for r in rows),
        lambda t: (t.cadre_id, t.course, t.start_date),
    )


async def _load_reserve(session: AsyncSession, rows: list[Row]) -> dict[tuple[Any, ...], Any]:
    return await _load_chunked(
        session,
        lambda ks: (
            select(ReserveRecord).options(selectinload(ReserveRecord.measures)).where(ReserveRecord.cadre_id.in_(ks))
        ),
        (r.values["cadre_id"] for r in rows),
        lambda r: (r.cadre_id, r.level),
    )


def _new_cadre(v: dict[str, Any]) -> Cadre:
    blank = dict.fromkeys(
        ("name", "unit_code", "post", "rank", "gender", "id_card", "education", "phone", "office_phone"), ""
    )
    return Cadre(cadre_id=v["cadre_id"], **blank)


def _new_training(v: dict[str, Any]) -> TrainingRecord:
    return TrainingRecord(
        cadre_id=v["cadre_id"], course=v["course"], start_date=v["start_date"], hours=v["hours"],
        organizer="", mode="", status="", certificate="",
    )  # fmt: skip


def _new_reserve(v: dict[str, Any]) -> ReserveRecord:
    return ReserveRecord(
        cadre_id=v["cadre_id"], level=v["level"], entered_on=v["entered_on"], recommended_by="",
        inspection_status="", inspection_result="", exit_reason="", measures=[],
    )  # fmt: skip


def _set_measures(reserve: ReserveRecord, row: Row) -> list[str]:
    if "measures" not in row.present:
        return []
    old = [Measure(m.kind, m.content, m.start_date, m.end_date) for m in reserve.measures]
    new: list[Measure] = row.values["measures"]
    if old == new:
        return []
    reserve.measures = [
        ReserveMeasure(position=i, kind=m.kind, content=m.content, start_date=m.start, end_date=m.end)
        for i, m in enumerate(new)
    ]
    return [f"培养措施：{render_measures(old) or '（空）'} → {render_measures(new) or '（空）'}"]


_UPSERTS: dict[str, _Upsert] = {
    "units": _Upsert(
        _load_units, lambda v: Unit(code=v["code"], name=v["name"], parent_code=None), ("name", "parent_code"),
        lambda u: u.code,
    ),
    "cadres": _Upsert(
        _load_cadres, _new_cadre, tuple(c.key for c in BY_NAME["cadres"].columns if c.key != "cadre_id"),
        lambda c: f"{c.cadre_id} {c.name}",
    ),
    "training": _Upsert(
        _load_training, _new_training, ("organizer", "end_date", "hours", "mode", "status", "certificate"),
        lambda t: f"{t.cadre_id} {t.course}（{t.start_date}）",
    ),
    "reserve": _Upsert(
        _load_reserve, _new_reserve,
        ("entered_on", "recommended_by", "inspection_status", "inspection_result", "exit_on", "exit_reason"),
        lambda r: f"{r.cadre_id} {r.level}", _set_measures,
    ),
}  # fmt: skip


async def _apply_staff(session: AsyncSession, row: Row, changes: KindChanges, report: ImportReport) -> None:
    v = row.values
    old = await session.scalar(
        select(Staff).options(selectinload(Staff.identities)).where(Staff.user_id == v["user_id"])
    )
    before = None
    if old is not None:
        before = {
            "name": old.name,
            "role": old.role,
            "unit": old.unit or "",
            "unit_scope": old.unit_scope or "",
            "cadre_id": old.cadre_id or "",
            **{ch: next((i.platform_user_id for i in old.identities if i.channel == ch), "") for ch in KNOWN_CHANNELS},
        }

    def pick(name: str) -> Any:
        if name in row.present:
            return v.get(name) or None
        return (before or {}).get(name) or None

    data = StaffInput(
        user_id=v["user_id"],
        name=v["name"],
        role=Role.parse(v["role"]),
        unit_scope=pick("unit_scope"),
        cadre_id=pick("cadre_id"),
        identities=tuple((ch, v[ch]) for ch in KNOWN_CHANNELS if v.get(ch)),
        unit=pick("unit"),
    )
    try:
        staff, created = await upsert_staff(session, data)
    except StaffError as exc:
        report.issues.append(Issue(row.where, row.number, "", str(exc)))
        raise _Abort from None
    for ch in KNOWN_CHANNELS:
        if ch in row.present:
            for ident in [i for i in staff.identities if i.channel == ch and i.platform_user_id != (v.get(ch) or "")]:
                staff.identities.remove(ident)
    await session.flush()
    diffs: list[str] = []
    if before is not None:
        kind = BY_NAME["staff"]
        after = {
            "name": staff.name,
            "role": staff.role,
            "unit": staff.unit or "",
            "unit_scope": staff.unit_scope or "",
            "cadre_id": staff.cadre_id or "",
            **{
                ch: next((i.platform_user_id for i in staff.identities if i.channel == ch), "") for ch in KNOWN_CHANNELS
            },
        }
        for name, old_value in before.items():
            if after[name] != old_value:
                diffs.append(f"{kind.column(name).header}：{old_value or '（空）'} → {after[name] or '（空）'}")
    _record(changes, f"{staff.user_id} {staff.name}", created, diffs)


# --- the printed report -----------------------------------------------------------------------

KIND_LABEL = {k.name: k.title for k in KINDS}
MAX_DETAIL_LINES = 200


def render_report(report: ImportReport, *, dry_run: bool = False) -> str:
    lines: list[str] = []
    if report.issues:
        lines.append(f"导入失败：发现 {len(report.issues)} 处问题，没有导入任何数据。请修改后重新导入。")
        ordered = sorted(report.issues, key=lambda i: (i.where, i.row or 0))
        for issue in ordered[:MAX_DETAIL_LINES]:
            lines.append(f"  ✗ {issue}")
        if len(report.issues) > MAX_DETAIL_LINES:
            lines.append(f"  …另有 {len(report.issues) - MAX_DETAIL_LINES} 处问题未列出")
        return "\n".join(lines)
    lines.extend(f"  · {n}" for n in report.notes)
    head = "检查通过（试运行，未写入数据库）" if dry_run else "导入成功"
    lines.append(f"{head}：共 {report.rows} 行。")
    shown = 0
    for name in APPLY_ORDER:
        ch = report.changes.get(name)
        if ch is None:
            continue
        lines.append(f"【{KIND_LABEL[name]}】新增 {len(ch.created)}，更新 {len(ch.updated)}，未变 {ch.unchanged}")
        for key in ch.created:
            if shown < MAX_DETAIL_LINES:
                lines.append(f"  + {key}")
            shown += 1
        for key, diffs in ch.updated:
            if shown < MAX_DETAIL_LINES:
                lines.append(f"  ~ {key}：" + "；".join(diffs))
            shown += 1
    if shown > MAX_DETAIL_LINES:
        lines.append(f"  …另有 {shown - MAX_DETAIL_LINES} 条变化未列出")
    return "\n".join(lines)
