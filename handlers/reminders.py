"""/提醒 and /会议通知: organizers create, list, pause, resume, delete and run scheduled pushes.

Creation is a short guided dialogue; the last step always shows the next five fire
times, so a wrong date is seen before anything is sent. The dialogue only asks, parses
and words: every rule and permission is ``bot.scheduling.reminders``'s (``ctx.scheduling.reminders``).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot.handler import DIALOGUE_LABEL, DIALOGUE_RESTART, Context, handler
from bot.roles import Role
from bot.scheduling import schedules as sched
from bot.scheduling import wording
from bot.scheduling.dialogue import NONE_WORDS, clean, is_no, is_now, is_yes, parse_when
from bot.scheduling.phrases import EXAMPLES, AskBack, Parsed
from bot.scheduling.reminders import (
    EditPreview,
    EditReminder,
    NewNotice,
    NewReminder,
    NewSchedule,
    NoticeError,
    NoticeProblem,
    Preview,
    Reminders,
    ScheduleRef,
    Unclear,
    meeting_time,
    rereminder_minutes,
    send_time,
)
from bot.scheduling.rules import Rule, describe_rule
from bot.scheduling.targets import TargetError, TargetSpec, describe_targets
from bot.scheduling.templates import TEMPLATES, find_template
from handlers import record_alerts

USAGE = (
    "/提醒 列表 — 查看提醒\n"
    "/提醒 新建 — 新建提醒（一步步引导）\n"
    "/提醒 查看 编号 — 详情、接下来 5 次发送时间、修改记录\n"
    "/提醒 暂停 编号 / 恢复 编号 / 删除 编号 / 立即发送 编号\n"
    "/提醒 修改 编号 标题|内容|时间|对象 新值 — 如 /提醒 修改 3 时间 每月20日前\n"
    "/提醒 模板 — 内置模板（七一表彰推荐、民主评议党员、组织生活会、三会一课、党费收缴、年度考核、学时预警、后备干部复核）\n"
    "/提醒 启用 模板名 — 启用一个模板（学时预警、后备干部复核可跟检查点，如 /提醒 启用 学时预警 6月30日、9月30日）\n"
    "/提醒 预览 编号 — 学时预警、后备干部复核：下次检查点会提醒谁（不发送）\n"
    "/提醒 免打扰 学时 — 不再接收个人学时预警（恢复：/提醒 恢复提醒 学时）\n"
    "/会议通知 — 发会议通知并收集回执"
)
TARGET_HELP = "发给谁？可写：@用户ID 或姓名、单位:编码（含下级单位）、角色:组织员、群:平台:群ID（群聊、全体和角色仅限管理员）、全体；多个用空格分开。"
CONFIRM_HINT = "回复“确认”创建，“取消”放弃。"
# How the dialogue asks again when a meeting notice's times do not fit together.
NOTICE_RETRY = {
    NoticeProblem.EVENT_NOT_SPECIFIC: "会议通知需要一个具体的会议时间，例如“12月5日下午3点”。请重新输入：",
    NoticeProblem.SEND_NOT_SPECIFIC: "请给一个具体的发送时间，或回复“现在”。",
    NoticeProblem.SEND_AFTER_EVENT: "通知要在会议开始前发出，请重新输入发送时间（或回复“现在”）：",
    NoticeProblem.REREMINDER_UNREADABLE: "没看懂这个时长，请回复如“1天”“2小时”“30分钟”，或“不催”。",
    NoticeProblem.REREMINDER_BEFORE_SEND: "催办时间早于通知发出时间了，请说一个更短的时长，或回复“不催”。",
}


def _service(ctx: Context) -> Reminders:
    return ctx.scheduling.reminders


async def _ref(ctx: Context, rest: str) -> ScheduleRef:
    return ScheduleRef(await ctx.actor(), sched.parse_id(rest))


def _now_local(ctx: Context) -> datetime:
    return ctx.bot.clock.now().astimezone(ctx.scheduling.policy.tz)


@handler(
    commands=["提醒", "定时提醒", "reminders"],
    # Staff may use /提醒 免打扰 学时; every other word needs an organizer (checked below).
    role=Role.STAFF,
    help="定时提醒与截止提醒：新建、列表、暂停、恢复、删除、立即发送、模板；个人学时预警免打扰",
    usage="/提醒 列表",
    category="提醒与通知",
)
async def reminders(ctx: Context) -> str:
    if ctx.pending is not None:
        return await _dialogue(ctx, ctx.pending)
    word, _, rest = ctx.args.strip().partition(" ")
    rest = rest.strip()
    if word in record_alerts.MUTE_WORDS or word in record_alerts.UNMUTE_WORDS:
        return await record_alerts.mute(ctx, rest, word in record_alerts.MUTE_WORDS)
    if ctx.user.role < Role.ORGANIZER:
        await ctx.audit("role.denied", "denied", query=ctx.text, detail="reminders 需要 organizer")
        return (
            f"抱歉，“定时提醒”需要{Role.ORGANIZER.label}权限。如需开通，请联系管理员。"
            "\n不想接收个人学时预警，可发送 /提醒 免打扰 学时。"
        )
    try:
        if word in ("", "列表", "list", "ls"):
            return await _list(ctx)
        if word in ("新建", "创建", "添加", "new", "add"):
            return await _start(
                ctx,
                {"flow": "new", "step": "name", DIALOGUE_LABEL: "新建提醒", DIALOGUE_RESTART: "/提醒 新建"},
                "好的，新建提醒。提醒的标题是什么？（如“支部党员大会材料报送”）",
            )
        if word in ("查看", "详情", "show"):
            return await _show(ctx, rest)
        if word in ("暂停", "pause"):
            return await _change(ctx, rest, "pause")
        if word in ("恢复", "resume"):
            return await _change(ctx, rest, "resume")
        if word in ("删除", "remove", "delete"):
            return await _ask_delete(ctx, rest)
        if word in ("立即发送", "立即", "马上发送", "run"):
            return await _run_now(ctx, rest)
        if word in ("修改", "编辑", "edit"):
            return await _edit(ctx, rest)
        if word in ("模板", "templates"):
            return await _templates(ctx)
        if word in ("启用", "enable"):
            return await _enable(ctx, rest)
        if word in ("预览", "preview"):
            return await record_alerts.preview(ctx, rest)
    except sched.ScheduleError as exc:
        return str(exc)
    return f"没有“{word}”这个操作。可用：\n{USAGE}"


@handler(
    commands=["会议通知", "通知"],
    role=Role.ORGANIZER,
    help="发会议通知并收集回执（收到的人回复“收到”）",
    usage="/会议通知",
    category="提醒与通知",
)
async def meeting_notice(ctx: Context) -> str:
    if ctx.pending is not None:
        return await _dialogue(ctx, ctx.pending)
    return await _start(
        ctx,
        {"flow": "notice", "step": "name", DIALOGUE_LABEL: "会议通知", DIALOGUE_RESTART: "/会议通知"},
        "好的，发会议通知。会议名称是什么？（如“第四季度支部党员大会”）",
    )


async def _start(ctx: Context, state: dict[str, Any], question: str) -> str:
    await ctx.expect(state)
    return question + "\n（随时回复“取消”放弃）"


async def _list(ctx: Context) -> str:
    rows = await _service(ctx).listing(await ctx.actor())
    if not rows:
        return "还没有提醒。发送 /提醒 新建 创建，或 /提醒 模板 启用内置模板。"
    tz = ctx.scheduling.policy.tz
    lines = [f"共 {len(rows)} 条提醒："]
    for row in rows:
        r = row.schedule
        nxt = row.next_at.astimezone(tz).strftime("%m-%d %H:%M") if row.next_at else "—"
        state = "（已暂停）" if r.status == "paused" else f"下次 {nxt}"
        lines.append(f"#{r.id} {r.name} · {sched.KIND_LABELS.get(r.kind, r.kind)} · {state}")
    lines.append("查看详情：/提醒 查看 编号")
    return "\n".join(lines)


async def _show(ctx: Context, rest: str) -> str:
    policy = ctx.scheduling.policy
    detail = await _service(ctx).show(await _ref(ctx, rest), history=5)
    lines = wording.summary_lines(detail.schedule, policy, detail.at, detail.names, detail.fired)
    if detail.history:
        lines.append("最近修改：")
        for change in detail.history:
            at = change.at.astimezone(policy.tz).strftime("%m-%d %H:%M")
            who = detail.names.get(change.actor, change.actor)
            lines.append(f"  {at} {who} {ACTION_LABELS.get(change.action, change.action)}")
    return "\n".join(lines)


ACTION_LABELS = {
    "create": "创建",
    "pause": "暂停",
    "resume": "恢复",
    "delete": "删除",
    "edit": "修改",
    "run-now": "立即发送",
}


async def _change(ctx: Context, rest: str, action: str) -> str:
    ref = await _ref(ctx, rest)
    if action == "pause":
        paused = (await _service(ctx).pause(ref)).schedule
        return f"已暂停 #{paused.id} {paused.name}。恢复前不会发送（重启后仍保持暂停）。恢复：/提醒 恢复 {paused.id}"
    resumed = await _service(ctx).resume(ref)
    schedule = resumed.schedule
    lines = [f"已恢复 #{schedule.id} {schedule.name}。暂停期间错过的发送不会补发。接下来 5 次发送："]
    lines.extend(wording.plan_lines(resumed.upcoming, sched.rule_of(schedule), ctx.scheduling.policy))
    return "\n".join(lines)


async def _ask_delete(ctx: Context, rest: str) -> str:
    schedule = (await _service(ctx).removal(await _ref(ctx, rest))).schedule
    await ctx.expect(
        {
            "flow": "delete",
            "id": schedule.id,
            DIALOGUE_LABEL: f"删除提醒 #{schedule.id}",
            DIALOGUE_RESTART: f"/提醒 删除 {schedule.id}",
        }
    )
    return f"确认删除 #{schedule.id} {schedule.name}？未发出的推送也会取消。回复“确认”删除，其他任意回复放弃。"


async def _run_now(ctx: Context, rest: str) -> str:
    ran = await _service(ctx).run_now(await _ref(ctx, rest))
    schedule, count = ran.schedule, ran.recipients
    if ran.merged:
        return (
            f"#{schedule.id} {schedule.name} 在此刻已经发出过一次（按计划或另一次立即发送），本次与之合并："
            f"每位接收人只收到一份，共 {count} 位接收人。"
        )
    return f"已把 #{schedule.id} {schedule.name} 加入发送队列，共 {count} 位接收人。原定的发送时间不变。"


EDIT_FIELDS = {"标题": "name", "名称": "name", "内容": "text", "正文": "text", "时间": "when", "对象": "targets"}


async def _edit_command(ctx: Context, schedule_id: int, field: str, value: str) -> EditReminder:
    actor = await ctx.actor()
    if field == "when":
        return EditReminder(actor, schedule_id, when=value)
    if field == "targets":
        return EditReminder(actor, schedule_id, to=value)
    if field == "text":
        return EditReminder(actor, schedule_id, text="" if value in NONE_WORDS else value)
    return EditReminder(actor, schedule_id, name=value)


async def _edit(ctx: Context, rest: str) -> str:
    parts = rest.split(maxsplit=2)
    if len(parts) < 3 or parts[1] not in EDIT_FIELDS:
        return "用法：/提醒 修改 编号 标题|内容|时间|对象 新值，例如 /提醒 修改 3 时间 每月最后一个工作日 16:00"
    schedule_id, field, value = sched.parse_id(parts[0]), EDIT_FIELDS[parts[1]], parts[2].strip()
    try:
        preview = await _service(ctx).preview_edit(await _edit_command(ctx, schedule_id, field, value))
    except Unclear as exc:
        return f"{exc}\n（请把完整的时间写在 /提醒 修改 {schedule_id} 时间 后面）"
    except sched.InvalidDraft as exc:
        return f"不能这样修改：{exc}"
    except TargetError as exc:
        return str(exc)
    lines = wording.edit_preview(preview.schedule, preview.draft, ctx.scheduling.policy, preview.at, preview.names)
    state = {
        "flow": "edit",
        "id": schedule_id,
        "field": parts[1],
        "changes": _edit_changes(field, preview),
        DIALOGUE_LABEL: f"修改提醒 #{schedule_id}",
        DIALOGUE_RESTART: f"/提醒 修改 {rest}",
    }
    await ctx.expect(state)
    lines.append("回复“确认”修改，其他任意回复放弃。")
    return "\n".join(lines)


def _edit_changes(field: str, preview: EditPreview) -> dict[str, Any]:
    """What the person saw, kept for 确认 (a time phrase is not parsed again later)."""
    draft = preview.draft
    if field == "when":
        return {"rule": draft.rule.to_json()}
    if field == "targets":
        return {"targets": [t.to_dict() for t in draft.targets]}
    return {field: getattr(draft, field)}


async def _confirmed_edit(ctx: Context, schedule_id: int, changes: dict[str, Any]) -> EditReminder:
    rule = Parsed(Rule.from_json(changes["rule"])) if "rule" in changes else None
    targets = tuple(TargetSpec(**t) for t in changes["targets"]) if "targets" in changes else None
    return EditReminder(
        await ctx.actor(), schedule_id, name=changes.get("name"), text=changes.get("text"), when=rule, to=targets
    )


async def _finish_edit(ctx: Context, state: dict[str, Any], answer: str) -> str:
    if not is_yes(answer):
        return "好的，没有修改。"
    try:
        edited = await _service(ctx).edit(await _confirmed_edit(ctx, int(state["id"]), state["changes"]))
    except (sched.ScheduleError, TargetError) as exc:
        return f"没有修改：{exc}"
    schedule = edited.schedule
    lines = [f"已修改 #{schedule.id} {schedule.name}（{state['field']}）。"]
    if schedule.status == "active":
        lines.append("接下来 5 次发送：")
        lines.extend(wording.plan_lines(edited.upcoming, sched.rule_of(schedule), ctx.scheduling.policy))
    return "\n".join(lines)


async def _templates(ctx: Context) -> str:
    lines = ["内置模板（启用：/提醒 启用 模板名）："]
    for row in await _service(ctx).templates():
        t = row.template
        when = t.default_when or "需指定日期"
        state = "（已启用）" if row.enabled else ""
        lines.append(f"· {t.name}{state} — {when}；{t.text[:30]}……")
    return "\n".join(lines)


async def _enable(ctx: Context, rest: str) -> str:
    name, _, when = rest.partition(" ")
    from_records = find_template(name)
    if from_records is not None and from_records.from_records:
        return await record_alerts.enable(ctx, from_records, when)
    template = find_template(rest)
    if template is None:
        names = "、".join(t.name for t in TEMPLATES)
        return f"没有模板“{rest}”。可选：{names}"
    state = {
        "flow": "template",
        "step": "when",
        "template": template.key,
        "name": template.name,
        "text": template.text,
        DIALOGUE_LABEL: f"启用{template.name}模板",
        DIALOGUE_RESTART: f"/提醒 启用 {template.name}",
    }
    if template.needs_date:
        question = f"启用“{template.name}”。截止日期是？（{template.hint}）"
    else:
        question = f"启用“{template.name}”。默认时间是“{template.default_when}”，回复“默认”使用，或说一个新的时间（{template.hint or EXAMPLES}）。"
    return await _start(ctx, state, question)


async def _dialogue(ctx: Context, state: dict[str, Any]) -> str:
    answer = ctx.text.strip()
    if is_no(answer) and state.get("flow") not in ("delete", "edit"):
        return "已取消，什么也没有创建。"
    flow = state["flow"]
    if flow == "delete":
        return await _finish_delete(ctx, state, answer)
    if flow == "edit":
        return await _finish_edit(ctx, state, answer)
    step = state["step"]
    try:
        handler_step = STEPS[(flow, step)]
    except KeyError:
        return "这段对话已过期，请重新开始。"
    return await handler_step(ctx, state, answer)


async def _again(ctx: Context, state: dict[str, Any], message: str) -> str:
    await ctx.expect(state)
    return message


async def _next(ctx: Context, state: dict[str, Any], step: str, question: str) -> str:
    state["step"] = step
    await ctx.expect(state)
    return question


async def _finish_delete(ctx: Context, state: dict[str, Any], answer: str) -> str:
    if not is_yes(answer):
        return "好的，没有删除。"
    try:
        removed = await _service(ctx).remove(ScheduleRef(await ctx.actor(), int(state["id"])))
    except sched.ScheduleError as exc:
        return str(exc)
    schedule = removed.schedule
    extra = f"，取消了 {removed.cancelled} 条未发出的推送" if removed.cancelled else ""
    return f"已删除 #{schedule.id} {schedule.name}{extra}。"


async def _step_name(ctx: Context, state: dict[str, Any], answer: str) -> str:
    name = clean(answer)
    if not name or len(name) > 128:
        return await _again(ctx, state, "标题不能为空，最长 128 个字。请重新输入：")
    state["name"] = name
    if state["flow"] == "notice":
        return await _next(ctx, state, "event", "会议什么时候开？（如“下周三下午3点”“12月5日 9:00”）")
    return await _next(
        ctx,
        state,
        "when",
        "什么时候提醒？" + EXAMPLES + "\n截止类事项可以说“6月20日前”，我会按 7、3、1 天前和当天上午提醒。",
    )


async def _step_when(ctx: Context, state: dict[str, Any], answer: str) -> str:
    template = find_template(state.get("template", "")) if state.get("template") else None
    if template is not None and template.default_when and clean(answer) in ("默认", "好", "好的", "是", "确认"):
        answer = template.default_when
    result, earlier = parse_when(answer, state.get("earlier", ""), _now_local(ctx))
    if isinstance(result, AskBack):
        state["earlier"] = earlier
        return await _again(ctx, state, result.question)
    state.pop("earlier", None)
    state["rule"] = result.rule.to_json()
    state["note"] = result.note
    return await _next(ctx, state, "targets", TARGET_HELP)


async def _step_targets(ctx: Context, state: dict[str, Any], answer: str) -> str:
    try:
        specs = await _service(ctx).check_targets(await ctx.actor(), answer)
    except (TargetError, sched.ScheduleError) as exc:
        return await _again(ctx, state, f"{exc}\n请重新输入对象：")
    state["targets"] = [s.to_dict() for s in specs]
    if state["flow"] == "template":
        return await _confirm(ctx, state)
    if state["flow"] == "notice":
        return await _next(
            ctx, state, "send", "什么时候发出通知？回复“现在”立即发出，或说一个时间（如“明天上午9点”）。"
        )
    return await _next(ctx, state, "text", "提醒正文是什么？（回复“无”则只发标题）")


async def _step_text(ctx: Context, state: dict[str, Any], answer: str) -> str:
    state["text"] = "" if clean(answer) in NONE_WORDS else answer.strip()
    return await _confirm(ctx, state)


async def _step_event(ctx: Context, state: dict[str, Any], answer: str) -> str:
    now = _now_local(ctx)
    result, earlier = parse_when(answer, state.get("earlier", ""), now)
    if isinstance(result, AskBack):
        state["earlier"] = earlier
        return await _again(ctx, state, result.question)
    state.pop("earlier", None)
    try:
        state["event_at"] = meeting_time(result, now)
    except NoticeError as exc:
        return await _again(ctx, state, NOTICE_RETRY[exc.problem])
    return await _next(ctx, state, "text", "会议地点和内容？（如“三楼会议室；请带党员证”。回复“无”则不写）")


async def _step_notice_text(ctx: Context, state: dict[str, Any], answer: str) -> str:
    state["text"] = "" if clean(answer) in NONE_WORDS else answer.strip()
    return await _next(ctx, state, "targets", TARGET_HELP)


async def _step_send(ctx: Context, state: dict[str, Any], answer: str) -> str:
    now = _now_local(ctx)
    state.pop("send_now", None)
    send: Parsed | None = None
    if not is_now(answer):
        result, earlier = parse_when(answer, state.get("earlier", ""), now)
        if isinstance(result, AskBack):
            state["earlier"] = earlier
            return await _again(ctx, state, result.question)
        state.pop("earlier", None)
        send = result
    try:
        state["send_at"] = send_time(send, state["event_at"], now)
    except NoticeError as exc:
        return await _again(ctx, state, NOTICE_RETRY[exc.problem])
    # 现在 is fixed only when the person confirms: a pause before 确认 must not make it past.
    state["send_now"] = send is None
    return await _next(ctx, state, "rereminder", "会前多久再提醒还没回执的人？（如“1天”“2小时”，回复“不催”则不再提醒）")


async def _step_rereminder(ctx: Context, state: dict[str, Any], answer: str) -> str:
    try:
        state["rereminder"] = rereminder_minutes(answer, state["event_at"], state["send_at"])
    except NoticeError as exc:
        return await _again(ctx, state, NOTICE_RETRY[exc.problem])
    return await _confirm(ctx, state)


def _once(at: str) -> Parsed:
    return Parsed(Rule("once", at=at))


async def _command(ctx: Context, state: dict[str, Any]) -> NewSchedule:
    """The creation the dialogue has gathered so far, as the service takes it."""
    actor = await ctx.actor()
    targets = tuple(TargetSpec(**t) for t in state["targets"])
    urgent = bool(state.get("urgent"))
    if state["flow"] == "notice":
        send = None if state.get("send_now") else _once(state["send_at"])
        return NewNotice(
            actor, state["name"], _once(state["event_at"]), targets, send, state["rereminder"], state["text"], urgent
        )
    return NewReminder(
        actor,
        targets,
        Parsed(Rule.from_json(state["rule"]), state.get("note", "")),
        name=state["name"],
        text=state.get("text", ""),
        template=state.get("template"),
        urgent=urgent,
        holidays=state.get("holidays"),
    )


async def _confirm(ctx: Context, state: dict[str, Any]) -> str:
    policy = ctx.scheduling.policy
    try:
        preview = await _service(ctx).preview(await _command(ctx, state))
    except (sched.ScheduleError, TargetError) as exc:
        return f"没有创建：{exc}"
    draft = preview.draft
    lines = [
        f"请确认{sched.KIND_LABELS[draft.kind]}：{draft.name}",
        f"规则：{describe_rule(draft.rule, policy)}" + ("，紧急（夜间也发送）" if draft.urgent else ""),
        f"对象：{describe_targets(draft.targets, preview.names)}",
    ]
    if preview.note:
        lines.append(f"（{preview.note}）")
    if draft.text:
        lines.append(f"内容：{draft.text}")
    if draft.receipt:
        lines.append("需要回执：收到的人回复“收到”即可。")
    if not preview.fires:
        state["step"] = "when" if state["flow"] != "notice" else "send"
        return await _again(ctx, state, "按这个时间，之后不会再发送（时间已过去？）。请重新说时间：")
    lines.append("接下来的发送时间：")
    lines.extend(wording.plan_lines(preview.plan, draft.rule, policy))
    lines.append("".join(_confirm_hints(preview, policy.tz)))
    state["step"] = "confirm"
    await ctx.expect(state)
    return "\n".join(lines)


def _confirm_hints(preview: Preview, tz: tzinfo) -> list[str]:
    choice = preview.choice
    if choice is not None:
        day = choice.at.astimezone(tz)
        hints = [
            f"{day:%m-%d} 是{choice.needs_choice}，提前到之前的工作日已来不及："
            "回复“照常”在这天发送，或“顺延”改到下一个工作日；“取消”放弃。"
        ]
    else:
        hints = [CONFIRM_HINT]
        if preview.moved:
            hints.append("节假日照常发送回复“照常”。")
    if not preview.draft.urgent:
        hints.append("夜间也要发送回复“紧急”。")
    return hints


async def _step_confirm(ctx: Context, state: dict[str, Any], answer: str) -> str:
    word = clean(answer)
    if word in ("照常", "照常发送", "当天发送"):
        state["holidays"] = "keep"
        return await _confirm(ctx, state)
    if word in ("顺延", "延后", "往后顺延"):
        state["holidays"] = "next"
        return await _confirm(ctx, state)
    if word == "紧急":
        state["urgent"] = True
        return await _confirm(ctx, state)
    if not is_yes(answer):
        return await _again(ctx, state, CONFIRM_HINT)
    try:
        created = await _service(ctx).create(await _command(ctx, state))
    except sched.NeedsChoice as exc:
        return await _again(ctx, state, f"{exc}回复“照常”或“顺延”（或“取消”）。")
    except (sched.ScheduleError, TargetError) as exc:
        return f"没有创建：{exc}"
    schedule = created.schedule
    tail = f"查看回执：/回执 {schedule.id}" if schedule.receipt else f"查看：/提醒 查看 {schedule.id}"
    return f"已创建 #{schedule.id} {schedule.name}。{tail}"


STEPS = {
    ("new", "name"): _step_name,
    ("new", "when"): _step_when,
    ("new", "targets"): _step_targets,
    ("new", "text"): _step_text,
    ("new", "confirm"): _step_confirm,
    ("template", "when"): _step_when,
    ("template", "targets"): _step_targets,
    ("template", "confirm"): _step_confirm,
    ("notice", "name"): _step_name,
    ("notice", "event"): _step_event,
    ("notice", "text"): _step_notice_text,
    ("notice", "targets"): _step_targets,
    ("notice", "send"): _step_send,
    ("notice", "rereminder"): _step_rereminder,
    ("notice", "confirm"): _step_confirm,
}
