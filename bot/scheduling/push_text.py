"""The text of a push: a reminder, a deadline countdown, a meeting notice, a receipt reminder.

Worked out when the push is queued, so a deadline's “还有 3 天” counts from the day it is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.scheduling.models import Schedule
from bot.scheduling.rules import WEEKDAYS, Fire, Policy
from bot.scheduling.schedules import rule_of

# A push sent this much after its planned moment says it is late (normal lateness is milliseconds).
LATE_NOTICE = timedelta(minutes=1)


def _local_text(dt: datetime, policy: Policy, with_time: bool = True) -> str:
    local = dt.astimezone(policy.tz)
    base = f"{local.year}年{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）"
    return base + (f" {local:%H:%M}" if with_time else "")


def compose(schedule: Schedule, fire: Fire, policy: Policy, sent_at: datetime) -> str:
    """The push text for one fire, with the deadline countdown computed from the day it is sent;
    a fire sent late (the service was down within the grace period) says so."""
    body = _compose(schedule, fire, policy, sent_at)
    late = sent_at - fire.at
    if fire.stage != "manual" and late >= LATE_NOTICE:
        planned = fire.at.astimezone(policy.tz)
        body += f"\n（本条原定 {_local_text(planned, policy)} 发送，因服务中断晚发 {_late_text(late)}。）"
    return body


def _late_text(late: timedelta) -> str:
    minutes = int(late.total_seconds() // 60)
    if minutes >= 60:
        return f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes % 60 else f"{minutes // 60} 小时"
    return f"{minutes} 分钟"


def _compose(schedule: Schedule, fire: Fire, policy: Policy, sent_at: datetime) -> str:
    rule = rule_of(schedule)
    text = schedule.text.strip()
    if fire.stage == "rereminder":
        when = ""
        if rule.event_at:
            event = datetime.fromisoformat(rule.event_at).replace(tzinfo=policy.tz)
            when = f"（会议时间：{_local_text(event, policy)}）"
        return f"【回执提醒】您还没有确认《{schedule.name}》{when}。\n请回复“收到”确认（或“收到 {schedule.id}”）。"
    if schedule.receipt or rule.event_at:
        lines = [f"【会议通知】{schedule.name}"]
        if rule.event_at:
            event = datetime.fromisoformat(rule.event_at).replace(tzinfo=policy.tz)
            lines.append(f"会议时间：{_local_text(event, policy)}")
        if text:
            lines.append(text)
        if schedule.receipt:
            lines.append(f"请回复“收到”确认（如有多条通知，可回复“收到 {schedule.id}”）。")
        return "\n".join(lines)
    if rule.deadline and fire.occurrence is not None:
        days = (fire.occurrence.astimezone(policy.tz).date() - sent_at.astimezone(policy.tz).date()).days
        left = "今天截止" if days == 0 else (f"还有 {days} 天" if days > 0 else f"已逾期 {-days} 天")
        lines = [f"【截止提醒】{schedule.name}", f"截止日期：{_local_text(fire.occurrence, policy, False)}，{left}。"]
        if text:
            lines.append(text)
        return "\n".join(lines)
    return f"【提醒】{schedule.name}" + (f"\n{text}" if text else "")
