"""Import of staff, units, cadres, training and reserve sheets: validate every row, then apply all or nothing.

Nothing is written unless every row of every file is valid, because a half-imported
register is worse than none: people would get answers from a mix of old and new data.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.cadres import cells, record_history
from bot.cadres.masking import is_masked
from bot.cadres.measures import Measure, parse_measures, render_measures
from bot.cadres.models import Cadre, ReserveMeasure, ReserveRecord, TrainingRecord, Unit
from bot.cadres.sheets import SheetError, Table, read_tables
from bot.cadres.templates import APPLY_ORDER, BY_NAME, KINDS, Kind, is_example_row, kind_for_headers, normalize_header
from bot.cadres.units import find_cycle
from bot.roles import Role
from bot.staff import KNOWN_CHANNELS, USER_ID_RE, StaffError, StaffInput, upsert_staff
from bot.storage.base import utcnow
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
    progress: Progress = _noop,
    now: datetime | None = None,
) -> ImportReport:
    """``now`` (aware, the bot's clock in local time) stamps the import and the day a rank or
    考察 stage change was seen (bot/cadres/record_history.py)."""
    now = now or utcnow()
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
                written = [(r.kind.name, r.values) for r in rows]
                before = await record_history.before_import(session, written)
                await _apply(session, rows, report, progress)
                await record_history.after_import(session, before, written, now)
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


async def _check_references(session: AsyncSession, rows: list[Row], report: ImportReport) -> None:
    """Duplicates inside the import, and references to units, cadres and IM accounts that must exist."""
    by_kind: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind.name].append(row)

    for kind_rows in by_kind.values():
        first: dict[tuple[Any, ...], Row] = {}
        for row in kind_rows:
            key = row.key()
            if key in first:
                other = first[key]
                head = row.kind.column(row.kind.key_columns[0]).header
                report.issues.append(
                    Issue(
                        row.where,
                        row.number,
                        head,
                        f"与 {other.where} 第 {other.number} 行重复（同一{_key_words(row.kind)}）",
                    )
                )
            else:
                first[key] = row

    db_parents = {code: parent for code, parent in await session.execute(select(Unit.code, Unit.parent_code))}
    parents = dict(db_parents)
    for row in by_kind["units"]:
        parents[row.values["code"]] = row.values.get("parent_code") or (
            db_parents.get(row.values["code"]) if "parent_code" not in row.present else None
        )
    unit_codes = set(parents)
    for row in by_kind["units"]:
        parent = row.values.get("parent_code")
        if parent and parent not in unit_codes:
            report.issues.append(
                Issue(row.where, row.number, "上级单位编码", f"上级单位 {parent} 不存在（单位表和数据库中都没有）")
            )
    cycle = find_cycle(parents)
    if cycle:
        cycle_row = next((r for r in by_kind["units"] if r.values["code"] in cycle), None)
        report.issues.append(
            Issue(
                cycle_row.where if cycle_row else "单位",
                cycle_row.number if cycle_row else None,
                "上级单位编码",
                "单位上下级形成了循环：" + " → ".join(cycle),
            )
        )

    cadre_ids = {r.values["cadre_id"] for r in by_kind["cadres"]}
    referenced = {r.values["cadre_id"] for k in ("training", "reserve") for r in by_kind[k]}
    referenced |= {r.values["cadre_id"] for r in by_kind["staff"] if r.values.get("cadre_id")}
    existing = {
        cid
        for (cid,) in await _in_chunks(
            session, lambda ks: select(Cadre.cadre_id).where(Cadre.cadre_id.in_(ks)), referenced
        )
    }
    known_cadres = cadre_ids | existing

    for row in by_kind["cadres"]:
        if row.values["unit_code"] not in unit_codes:
            report.issues.append(
                Issue(row.where, row.number, "单位编码", f"单位 {row.values['unit_code']} 不存在，请先在单位表中添加")
            )
    masked_new = [
        r for r in by_kind["cadres"] if is_masked(r.values.get("id_card", "")) or is_masked(r.values.get("phone", ""))
    ]
    if masked_new:
        db_ids = {
            cid
            for (cid,) in await _in_chunks(
                session,
                lambda ks: select(Cadre.cadre_id).where(Cadre.cadre_id.in_(ks)),
                [r.values["cadre_id"] for r in masked_new],
            )
        }
        for row in masked_new:
            if row.values["cadre_id"] not in db_ids:
                report.issues.append(
                    Issue(row.where, row.number, "身份证号", "是脱敏后的值（含 *），新干部需要填写完整号码")
                )
    for kind in ("training", "reserve"):
        for row in by_kind[kind]:
            if row.values["cadre_id"] not in known_cadres:
                report.issues.append(
                    Issue(
                        row.where,
                        row.number,
                        "干部编号",
                        f"干部 {row.values['cadre_id']} 不在干部表中，请先导入干部表（或与本表一起导入）",
                    )
                )

    taken: dict[tuple[str, str], str] = {}
    accounts = [(ch, r.values[ch]) for r in by_kind["staff"] for ch in KNOWN_CHANNELS if r.values.get(ch)]
    if accounts:
        for taken_ch, taken_uid, taken_owner in await session.execute(
            select(Identity.channel, Identity.platform_user_id, Staff.user_id).join(
                Staff, Staff.id == Identity.staff_id
            )
        ):
            taken[(taken_ch, taken_uid)] = taken_owner
    seen_accounts: dict[tuple[str, str], Row] = {}
    labels = {"wecom": "企业微信账号", "dingtalk": "钉钉账号", "feishu": "飞书账号"}
    for row in by_kind["staff"]:
        v = row.values
        for field_name, label in (("unit", "所在单位编码"), ("unit_scope", "管理单位范围")):
            if v.get(field_name) and v[field_name] not in unit_codes:
                report.issues.append(
                    Issue(row.where, row.number, label, f"单位 {v[field_name]} 不存在，请先在单位表中添加")
                )
        if v.get("cadre_id") and v["cadre_id"] not in known_cadres:
            report.issues.append(Issue(row.where, row.number, "干部编号", f"干部 {v['cadre_id']} 不在干部表中"))
        for ch in KNOWN_CHANNELS:
            uid = v.get(ch)
            if not uid:
                continue
            owner = taken.get((ch, uid))
            if owner is not None and owner != v["user_id"]:
                report.issues.append(Issue(row.where, row.number, labels[ch], f"{uid} 已绑定给人员 {owner}"))
            if (ch, uid) in seen_accounts:
                other = seen_accounts[(ch, uid)]
                report.issues.append(Issue(row.where, row.number, labels[ch], f"{uid} 与第 {other.number} 行重复"))
            seen_accounts[(ch, uid)] = row


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


async def _apply(session: AsyncSession, rows: list[Row], report: ImportReport, progress: Progress) -> None:
    by_kind: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind.name].append(row)
    total = len(rows)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if done % 200 == 0 or done == total:
            progress("写入", done, total)

    if by_kind["units"]:
        changes = report.changes.setdefault("units", KindChanges())
        existing = {u.code: u for u in await session.scalars(select(Unit))}
        for row in by_kind["units"]:
            code = row.values["code"]
            unit = existing.get(code)
            created = unit is None
            if unit is None:
                unit = Unit(code=code, name=row.values["name"], parent_code=None)
                session.add(unit)
            diffs = _assign(unit, BY_NAME["units"], row, ("name", "parent_code"))
            _record(changes, code, created, [] if created else diffs)
            step()
        await session.flush()

    if by_kind["cadres"]:
        changes = report.changes.setdefault("cadres", KindChanges())
        kind = BY_NAME["cadres"]
        ids = [r.values["cadre_id"] for r in by_kind["cadres"]]
        existing_c: dict[str, Cadre] = {}
        for i in range(0, len(ids), CHUNK):
            for c in await session.scalars(select(Cadre).where(Cadre.cadre_id.in_(ids[i : i + CHUNK]))):
                existing_c[c.cadre_id] = c
        fields = [c.key for c in kind.columns if c.key != "cadre_id"]
        for row in by_kind["cadres"]:
            cid = row.values["cadre_id"]
            cadre = existing_c.get(cid)
            created = cadre is None
            if cadre is None:
                cadre = Cadre(
                    cadre_id=cid,
                    name="",
                    unit_code="",
                    post="",
                    rank="",
                    gender="",
                    id_card="",
                    education="",
                    phone="",
                    office_phone="",
                )
                session.add(cadre)
            diffs = _assign(cadre, kind, row, fields)
            _record(changes, f"{cid} {cadre.name}", created, diffs)
            step()
        await session.flush()

    if by_kind["staff"]:
        changes = report.changes.setdefault("staff", KindChanges())
        for row in by_kind["staff"]:
            await _apply_staff(session, row, changes, report)
            step()

    if by_kind["training"]:
        changes = report.changes.setdefault("training", KindChanges())
        kind = BY_NAME["training"]
        cids = {r.values["cadre_id"] for r in by_kind["training"]}
        existing_t: dict[tuple[str, str, date], TrainingRecord] = {}
        cid_list = list(cids)
        for i in range(0, len(cid_list), CHUNK):
            for t in await session.scalars(
                select(TrainingRecord).where(TrainingRecord.cadre_id.in_(cid_list[i : i + CHUNK]))
            ):
                existing_t[(t.cadre_id, t.course, t.start_date)] = t
        training_fields = ("organizer", "end_date", "hours", "mode", "status", "certificate")
        for row in by_kind["training"]:
            v = row.values
            key = (v["cadre_id"], v["course"], v["start_date"])
            rec = existing_t.get(key)
            created = rec is None
            if rec is None:
                rec = TrainingRecord(
                    cadre_id=v["cadre_id"],
                    course=v["course"],
                    start_date=v["start_date"],
                    hours=v["hours"],
                    organizer="",
                    mode="",
                    status="",
                    certificate="",
                )
                session.add(rec)
                existing_t[key] = rec
            diffs = _assign(rec, kind, row, training_fields)
            _record(changes, f"{v['cadre_id']} {v['course']}（{v['start_date']}）", created, diffs)
            step()
        await session.flush()

    if by_kind["reserve"]:
        changes = report.changes.setdefault("reserve", KindChanges())
        kind = BY_NAME["reserve"]
        cid_list = list({r.values["cadre_id"] for r in by_kind["reserve"]})
        existing_r: dict[tuple[str, str], ReserveRecord] = {}
        for i in range(0, len(cid_list), CHUNK):
            stmt = (
                select(ReserveRecord)
                .options(selectinload(ReserveRecord.measures))
                .where(ReserveRecord.cadre_id.in_(cid_list[i : i + CHUNK]))
            )
            for r in await session.scalars(stmt):
                existing_r[(r.cadre_id, r.level)] = r
        reserve_fields = (
            "entered_on",
            "recommended_by",
            "inspection_status",
            "inspection_result",
            "exit_on",
            "exit_reason",
        )
        for row in by_kind["reserve"]:
            v = row.values
            reserve = existing_r.get((v["cadre_id"], v["level"]))
            created = reserve is None
            if reserve is None:
                reserve = ReserveRecord(
                    cadre_id=v["cadre_id"],
                    level=v["level"],
                    entered_on=v["entered_on"],
                    recommended_by="",
                    inspection_status="",
                    inspection_result="",
                    exit_reason="",
                    measures=[],
                )
                session.add(reserve)
            diffs = _assign(reserve, kind, row, reserve_fields)
            if "measures" in row.present:
                old = [Measure(m.kind, m.content, m.start_date, m.end_date) for m in reserve.measures]
                new: list[Measure] = v["measures"]
                if old != new:
                    reserve.measures = [
                        ReserveMeasure(position=i, kind=m.kind, content=m.content, start_date=m.start, end_date=m.end)
                        for i, m in enumerate(new)
                    ]
                    diffs.append(f"培养措施：{render_measures(old) or '（空）'} → {render_measures(new) or '（空）'}")
            _record(changes, f"{v['cadre_id']} {v['level']}", created, diffs)
            step()
        await session.flush()


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
