"""The wording of cadre lookups, for chat: short, in Chinese, from the lookup service's typed results.

What a viewer may see (and masking) is decided by ``bot.cadres.lookup_service``; this module
only words it.
"""

from __future__ import annotations

from datetime import date

from bot.cadres.lookup_quota import QuotaExceeded
from bot.cadres.lookup_service import (
    Ambiguous,
    CadreHeader,
    Candidate,
    Found,
    LookupKind,
    LookupResult,
    NotFound,
    ProfileView,
    Refused,
    ReserveView,
    TrainingView,
)
from bot.cadres.models import ReserveMeasure, ReserveRecord, TrainingRecord
from bot.cadres.requirements import counts
from bot.menu import numbered

LATEST_COURSES = 5


def _d(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _h(hours: float) -> str:
    return f"{hours:g}"


WHAT: dict[LookupKind, str] = {"training": "培训学时", "reserve": "后备干部情况", "profile": "基本信息"}
COMMAND: dict[LookupKind, str] = {"training": "培训", "reserve": "后备", "profile": "干部"}

GUEST_REPLY = "抱歉，干部信息查询只对已登记的工作人员开放。如需开通，请联系组织部管理员。"
NO_LINK_REPLY = "您的账号还没有关联干部编号，暂时查不到本人的记录。请联系管理员在人员表中为您填写“干部编号”。"
UNREADABLE_REPLY = "您发来的内容里有无法识别的控制字符（例如空字符），请只输入干部编号或姓名。"


def render(result: LookupResult) -> str:
    """The chat text of any lookup result."""
    if isinstance(result, QuotaExceeded):
        return quota_reply(result)
    if isinstance(result, Refused):
        return refused_reply(result)
    if isinstance(result, NotFound):
        return not_found_reply(result)
    if isinstance(result, Ambiguous):
        return ambiguous_reply(result)
    return found_reply(result)


def quota_reply(hit: QuotaExceeded) -> str:
    if hit.window == "minute":
        return f"查询过于频繁：每分钟最多查询 {hit.limit} 次，请稍后再试。"
    return f"您在 24 小时内的查询已达上限（{hit.limit} 次），请明天再试；如确有工作需要，请联系管理员。"


def refused_reply(refused: Refused) -> str:
    usage = f"用法：/{COMMAND[refused.kind]} 干部编号或姓名"
    if refused.reason == "guest":
        return GUEST_REPLY
    if refused.reason == "no_link":
        return NO_LINK_REPLY
    if refused.reason == "unreadable":
        return f"{UNREADABLE_REPLY}\n{usage}"
    return f"{refused.message}\n{usage}"


def no_access_reply(key: str) -> str:
    return (
        f"没有找到您有权查看的干部记录（{key}）。"
        "工作人员只能查看本人记录，组织员只能查看所管单位的干部；如有疑问请联系管理员。"
    )


def not_found_reply(result: NotFound) -> str:
    if not result.suggestions:
        return no_access_reply(result.key)
    intro = f"没有找到干部编号 {result.key}。您要查的可能是（请回复序号）："
    return choices_reply(result.suggestions, WHAT[result.kind], intro)


def ambiguous_reply(result: Ambiguous) -> str:
    text = choices_reply(result.candidates, WHAT[result.kind])
    if result.unlisted:
        text += f"\n（另有 {result.unlisted} 位未列出，请用干部编号或更完整的姓名查询。）"
    return text


def found_reply(found: Found) -> str:
    view = found.view
    if isinstance(view, TrainingView):
        return training_reply(view)
    if isinstance(view, ReserveView):
        return reserve_reply(view)
    return profile_reply(view)


def heading(header: CadreHeader) -> str:
    where = "｜".join(part for part in (header.unit_name or header.unit_code, header.post, header.rank) if part)
    return f"{header.name}（{header.cadre_id}）{where}"


def training_reply(view: TrainingView) -> str:
    prog = view.progress
    req = prog.requirement
    lines = [f"【培训学时】{heading(view.header)}", f"要求：{req.label}"]
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
    records = sorted(view.records, key=lambda r: (r.end_date or r.start_date, r.start_date), reverse=True)
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


def reserve_reply(view: ReserveView) -> str:
    today = view.today
    lines = [f"【后备干部】{heading(view.header)}"]
    if not view.records:
        lines.append("不在后备干部名单中。")
        return "\n".join(lines)
    current = [r for r in view.records if not _exited(r, today)]
    past = [r for r in view.records if _exited(r, today)]
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


def profile_reply(view: ProfileView) -> str:
    h = view.header
    fields = [
        ("单位", f"{h.unit_name}（{h.unit_code}）" if h.unit_name else h.unit_code),
        ("职务", h.post),
        ("职级", h.rank),
        ("性别", view.gender),
        ("出生日期", view.birth_date),
        ("身份证号", view.id_card),
        ("学历", view.education),
        ("入党时间", _d(view.party_date) if view.party_date else ""),
        ("参加工作时间", _d(view.work_start_date) if view.work_start_date else ""),
        ("手机", view.phone),
        ("办公电话", view.office_phone),
    ]
    lines = [f"【干部信息】{h.name}（{h.cadre_id}）"]
    lines.extend(f"{label}：{value}" for label, value in fields if value)
    if view.masked:
        lines.append("（身份证号、电话和出生日期已脱敏显示。）")
    return "\n".join(lines)


def choices_reply(cadres: tuple[Candidate, ...], what: str, intro: str = "") -> str:
    lines = [intro or f"找到 {len(cadres)} 位干部，请回复序号选择要查询{what}的人："]
    lines += numbered(
        f"{c.name}（{c.cadre_id}，{'，'.join(p for p in (c.unit_name or c.unit_code, c.post) if p)}）" for c in cadres
    )
    lines.append("也可以直接发送干部编号查询。")
    return "\n".join(lines)
