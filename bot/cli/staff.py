"""``orgbot staff``: who the bot knows and what role each person has."""

from __future__ import annotations

import argparse
import sys

from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config
from bot.roles import Role
from bot.staff import (
    StaffError,
    StaffInput,
    cadre_on_file,
    list_staff,
    parse_identity,
    set_role,
    upsert_staff,
)


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
        try:
            async with bot.db() as session, session.begin():
                staff, created = await upsert_staff(session, data)
                known_cadre = not data.cadre_id or await cadre_on_file(session, data.cadre_id)
        except StaffError as exc:
            return fail(str(exc))
    print(f"{'已添加' if created else '已更新'}：{staff.user_id} {staff.name}（{Role.parse(staff.role).label}）")
    if not known_cadre:
        print(
            f"警告：干部编号 {data.cadre_id} 不在干部库中（拼写有误，或干部表尚未导入）；"
            "在导入该干部之前，/我的培训 查不到记录。",
            file=sys.stderr,
        )
    return 0


async def _list(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot, bot.db() as session:
        people = await list_staff(session)
    if not people:
        print("还没有人员。用 `orgbot staff add` 添加，或 `orgbot data import` 导入人员表。")
        return 0
    print(f"{'用户ID':<16}{'姓名':<8}{'角色':<8}{'单位范围':<12}{'干部编号':<10}平台账号")
    for s in people:
        ids = ", ".join(f"{i.channel}:{i.platform_user_id}" for i in s.identities)
        state = "" if s.active else "（停用）"
        print(
            f"{s.user_id:<16}{s.name:<8}{Role.parse(s.role).label:<8}{s.unit_scope or '-':<12}{s.cadre_id or '-':<10}{ids}{state}"
        )
    return 0


async def _set_role(args: argparse.Namespace, config: Config) -> int:
    try:
        role = Role.parse(args.role)
    except ValueError as exc:
        return fail(str(exc))
    async with started_bot(config) as bot:
        try:
            async with bot.db() as session, session.begin():
                staff = await set_role(session, args.user_id, role, args.scope)
        except StaffError as exc:
            return fail(str(exc))
    print(
        f"已将 {staff.user_id} {staff.name} 设为{role.label}"
        + (f"（单位范围 {staff.unit_scope}）" if staff.unit_scope else "")
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="人员与角色管理（add / list / set-role / import）")
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
    from bot.cli.data import add_import_arguments, run_import

    imp = s.add_parser("import", help="从人员表（.xlsx/.csv，见 orgbot data template）导入或更新人员")
    add_import_arguments(imp)
    imp.set_defaults(func=run_command(run_import))
