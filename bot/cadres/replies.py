"""The texts of cadre lookups: short, in Chinese, masked unless the viewer is an admin."""

from __future__ import annotations

from datetime import date

from bot.cadres.masking import mask_birth_date, mask_id_card, mask_phone
from bot.cadres.models import Cadre, ReserveMeasure, ReserveRecord, TrainingRecord
from bot.cadres.requirements import Progress, counts
from bot.menu import numbered

LATEST_COURSES = 5


def _d(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _h(hours: float) -> str:
    return f"{hours:g}"


def heading(cadre: Cadre, unit_name: str) -> str:
    where = "｜".join(part for part in (unit_name or cadre.unit_code, cadre.post, cadre.rank) if part)
    return f"{cadre.name}（{cadre.cadre_id}）{where}"


def training_reply(cadre: Cadre, unit_name: str, prog: Progress) -> str:
    req = prog.requirement
    lines = [f"【培训学时】{heading(cadre, unit_name)}", f"要求：{req.label}"]
    if req.five_year_hours:
        lines.append(
            f"{prog.window_start}–{prog.year} 年累计：{_h(prog.window_hours)} / {_h(req.five_year_hours)} 学时"
            + (f"，还差 {_h(prog.window_missing)} 学时" if prog.window_missing else "，已达标 ✅")
        )
        lines.append(
            f"{prog.year} 年已完成：{_h(prog.year_hours)} 学时"
            + (f"（按年均进度还差 {_h(prog.year_missing)} 学时）" if prog.year_missing else "（已达年均进度）")
        )
    else:
        lines.append(
            f"{prog.year} 年已完成：{_h(prog.year_hours)} / {_h(req.yearly_hours)} 学时"
            + (f"，还差 {_h(prog.year_missing)} 学时 ⚠️" if prog.year_missing else "，已达标 ✅")
        )
    records = sorted(cadre.training, key=lambda r: (r.end_date or r.start_date, r.start_date), reverse=True)
    pending = [r for r in records if not counts(r)]
    if records:
        lines.append("最近的培训：")
        lines.extend(f"· {_course_line(r)}" for r in records[:LATEST_COURSES])
        if len(records) > LATEST_COURSES:
            lines.append(f"（共 {len(records)} 条记录，仅列最近 {LATEST_COURSES} 条）")
    else:
        lines.append("还没有培训记录。")
    if pending:
        lines.append(f"注：{len(pending)} 条记录状态为“在学/未结业”等，结业后才计入学时。")
    return "\n".join(lines)


def _course_line(r: TrainingRecord) -> str:
    span = _d(r.start_date) + (f"～{_d(r.end_date)}" if r.end_date and r.end_date != r.start_date else "")
    extra = "，".join(part for part in (r.organizer, r.mode) if part)
    status = r.status or "已结业"
    cert = f"，证书 {r.certificate}" if r.certificate else ""
    return f"{span} {r.course}" + (f"（{extra}）" if extra else "") + f" {_h(r.hours)} 学时，{status}{cert}"


def reserve_reply(cadre: Cadre, unit_name: str, today: date) -> str:
    lines = [f"【后备干部】{heading(cadre, unit_name)}"]
    if not cadre.reserves:
        lines.append("不在后备干部名单中。")
        return "\n".join(lines)
    current = [r for r in cadre.reserves if not _exited(r, today)]
    past = [r for r in cadre.reserves if _exited(r, today)]
    for r in sorted(current, key=lambda r: r.entered_on, reverse=True):
        lines.extend(_reserve_lines(r, today))
    if past:
        lines.append("已退出：")
        for r in sorted(past, key=lambda r: r.entered_on, reverse=True):
            lines.append(
                f"· {r.level}（{_d(r.entered_on)} 入库，{_d(r.exit_on)} 退出"
                + (f"，原因：{r.exit_reason}" if r.exit_reason else "")
                + "）"
            )
    if not current:
        lines.insert(1, "目前不在后备干部名单中。")
    lines.append("（后备干部信息属于保密内容，请勿转发。）")
    return "\n".join(lines)


def _exited(r: ReserveRecord, today: date) -> bool:
    return r.exit_on is not None and r.exit_on <= today


def _reserve_lines(r: ReserveRecord, today: date) -> list[str]:
    years = (today - r.entered_on).days / 365.25
    since = f"{_d(r.entered_on)} 入库（已 {years:.1f} 年）" if years >= 0 else f"{_d(r.entered_on)} 入库"
    lines = [f"· {r.level}：{since}" + (f"，{r.recommended_by}" if r.recommended_by else "")]
    stage = r.inspection_status or "未考察"
    lines.append(f"  考察：{stage}" + (f"，结果：{r.inspection_result}" if r.inspection_result else ""))
    if r.measures:
        lines.append("  培养措施：")
        lines.extend(f"  - {_measure_line(m, today)}" for m in r.measures)
    else:
        lines.append("  培养措施：暂无")
    if r.exit_on:
        lines.append(f"  计划退出：{_d(r.exit_on)}" + (f"（{r.exit_reason}）" if r.exit_reason else ""))
    return lines


def _measure_line(m: ReserveMeasure, today: date) -> str:
    text = f"{m.kind}：{m.content}" if m.content else m.kind
    if m.start_date or m.end_date:
        text += f"（{_d(m.start_date)} 至 {_d(m.end_date) if m.end_date else '今'}）"
        if m.start_date and m.start_date <= today and (m.end_date is None or m.end_date >= today):
            text += " 进行中"
    return text


def profile_reply(cadre: Cadre, unit_name: str, *, unmasked: bool) -> str:
    birth = _d(cadre.birth_date) if unmasked else mask_birth_date(cadre.birth_date)
    id_card = cadre.id_card if unmasked else mask_id_card(cadre.id_card)
    phone = cadre.phone if unmasked else mask_phone(cadre.phone)
    office = cadre.office_phone if unmasked else mask_phone(cadre.office_phone)
    fields = [
        ("单位", f"{unit_name}（{cadre.unit_code}）" if unit_name else cadre.unit_code),
        ("职务", cadre.post),
        ("职级", cadre.rank),
        ("性别", cadre.gender),
        ("出生日期", birth),
        ("身份证号", id_card),
        ("学历", cadre.education),
        ("入党时间", _d(cadre.party_date) if cadre.party_date else ""),
        ("参加工作时间", _d(cadre.work_start_date) if cadre.work_start_date else ""),
        ("手机", phone),
        ("办公电话", office),
    ]
    lines = [f"【干部信息】{cadre.name}（{cadre.cadre_id}）"]
    lines.extend(f"{label}：{value}" for label, value in fields if value)
    if not unmasked:
        lines.append("（身份证号、电话和出生日期已脱敏显示。）")
    return "\n".join(lines)


def choices_reply(cadres: list[Cadre], names: dict[str, str], what: str, intro: str = "") -> str:
    lines = [intro or f"找到 {len(cadres)} 位干部，请回复序号选择要查询{what}的人："]
    lines += numbered(
        f"{c.name}（{c.cadre_id}，{'，'.join(p for p in (names.get(c.unit_code, c.unit_code), c.post) if p)}）"
        for c in cadres
    )
    lines.append("也可以直接发送干部编号查询。")
    return "\n".join(lines)
