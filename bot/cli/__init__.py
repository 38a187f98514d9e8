"""The ``orgbot`` command. Each module in this package adds one group of subcommands."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from bot import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgbot",
        description="组工助手 orgbot：组织部的企业 IM 机器人（政策问答、干部查询、定时提醒）。",
    )
    parser.add_argument("--version", action="version", version=f"orgbot {__version__}")
    parser.add_argument("--config", metavar="PATH", help="配置文件（TOML）；也可用环境变量 ORGBOT_CONFIG")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "runtime":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    _accept_config_everywhere(parser)
    return parser


def _accept_config_everywhere(parser: argparse.ArgumentParser) -> None:
    """``--config`` works before or after the subcommand words."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="配置文件（TOML）")
                _accept_config_everywhere(child)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        if getattr(args, "command", None) and getattr(args, "subparser", None) is not None:
            args.subparser.print_help()
        else:
            parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except BrokenPipeError:
        from bot.cli.runtime import quiet_broken_pipe

        return quiet_broken_pipe()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
