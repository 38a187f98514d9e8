"""``orgbot staff``: who the bot knows and what role each person has."""

from __future__ import annotations

import argparse
import sys

from bot.actor import NotPermitted, cli_actor
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config
from bot.roles import Role
from bot.staff import StaffError, StaffInput, parse_identity
from bot.staff_service import Invalid, StaffRecord, change_role, people, save_person, set_identities


def _refused(result: Invalid | NotPermitted) -> int:
    return fail(result.message if isinstance(result, Invalid) else "没有管理人员的权限")


async def _add(args: argparse.Namespace, config: Config) -> int:
    try:
        data = StaffInput(
            user_id=args.user_id,
            name=args.name,
            role=Role.parse(args.role),
            unit_scope=args.scope,
            cadre_id=args.cadre,
            identities=tuple(parse_identity(i) for i in args.im),
            unit=args.unit,
        )
        data.validate()
    except (StaffError, ValueError) as exc:
        return fail(str(exc))
    async with started_bot(config) as bot:
        saved = await save_person(bot, cli_actor(), data)
    if isinstance(saved, Invalid | NotPermitted):
        return _refused(saved)
    person = saved.person
    print(f"{'已添加' if saved.created else '已更新'}：{person.user_id} {person.name}（{person.role.label}）")
    if saved.cadre_missing:
        print(
            f"警告：干部编号 {data.cadre_id} 不在干部库中（拼写有误，或干部表尚未导入）；"
            "在导入该干部之前，/我的培训 查不到记录。",
            file=sys.stderr,
        )
    return 0


async def _list(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        found = await people(bot, cli_actor())
    if isinstance(found, NotPermitted):
        return _refused(found)
    if not found:
        print("还没有人员。用 `orgbot staff add` 添加，或 `orgbot data import` 导入人员表。")
        return 0
    print(f"{'用户ID':<16}{'姓名':<8}{'角色':<8}{'单位范围':<12}{'干部编号':<10}平台账号")
    for s in found:
        ids = ", ".join(f"{ch}:{uid}" for ch, uid in s.identities)
        state = "" if s.active else "（停用）"
        print(
            f"{s.user_id:<16}{s.name:<8}{s.role.label:<8}{s.unit_scope or '-':<12}{s.cadre_id or '-':<10}{ids}{state}"
        )
    return 0


def _scope_note(person: StaffRecord) -> str:
    return f"（单位范围 {person.unit_scope}）" if person.unit_scope else ""


async def _set_role(args: argparse.Namespace, config: Config) -> int:
    try:
        role = Role.parse(args.role)
    except ValueError as exc:
        return fail(str(exc))
    async with started_bot(config) as bot:
        person = await change_role(bot, cli_actor(), args.user_id, role, args.scope)
    if isinstance(person, Invalid | NotPermitted):
        return _refused(person)
    print(f"已将 {person.user_id} {person.name} 设为{role.label}" + _scope_note(person))
    return 0


async def _set_im(args: argparse.Namespace, config: Config) -> int:
    try:
        accounts = dict(parse_identity(i) if not i.endswith(":") else (i[:-1].strip().lower(), "") for i in args.im)
    except StaffError as exc:
        return fail(str(exc))
    async with started_bot(config) as bot:
        person = await set_identities(bot, cli_actor(), args.user_id, accounts)
    if isinstance(person, Invalid | NotPermitted):
        return _refused(person)
    shown = "、".join(f"{ch}:{uid}" for ch, uid in person.identities) or "（无）"
    print(f"{person.user_id} {person.name} 的平台账号：{shown}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="人员与角色管理（add / list / set-role / set-im / import）")
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")
    add = s.add_parser("add", help="添加或更新一名人员")
    add.add_argument("user_id", help="用户 ID（本地聊天用它登录）")
    add.add_argument("--name", required=True, help="姓名")
    add.add_argument("--role", default="staff", help="staff / organizer / admin（默认 staff）")
    add.add_argument("--unit", help="本人所在单位编码（用于按单位推送）")
    add.add_argument("--scope", help="组织员管理的单位编码（含下级单位）")
    add.add_argument("--cadre", help="本人的干部编号（用于 /我的培训）")
    add.add_argument(
        "--im", action="append", default=[], metavar="平台:账号", help="企业 IM 账号，如 wecom:zhangsan；可多次"
    )
    add.set_defaults(func=run_command(_add))
    ls = s.add_parser("list", help="列出所有人员")
    ls.set_defaults(func=run_command(_list))
    sr = s.add_parser("set-role", help="修改人员角色")
    sr.add_argument("user_id")
    sr.add_argument("role", help="staff / organizer / admin")
    sr.add_argument("--scope", help="组织员管理的单位编码（含下级单位）")
    sr.set_defaults(func=run_command(_set_role))
    im = s.add_parser("set-im", help="绑定或解除平台账号（wecom:账号；写 wecom: 解除）")
    im.add_argument("user_id")
    im.add_argument("im", nargs="+", metavar="平台:账号")
    im.set_defaults(func=run_command(_set_im))
    from bot.cli.data import add_import_arguments, run_import

    imp = s.add_parser("import", help="从人员表（.xlsx/.csv，见 orgbot data template）导入或更新人员")
    add_import_arguments(imp)
    imp.set_defaults(func=run_command(run_import))
