"""Least-privilege PostgreSQL roles: migrations run as an owner, the service as a role that cannot
rewrite history.

A leaked service password (config file, process environment, a backup of either) must not
let anyone empty or edit the audit trail or change the schema. So the service role gets
only DML on the bot's tables, never TRUNCATE or DDL, and only INSERT and SELECT on
``audit_log``; the owner role owns the schema and runs ``orgbot db upgrade``. Even the
owner's TRUNCATE, UPDATE and DELETE on ``audit_log`` meet the triggers of the migrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
OWNER_PASSWORD = "CHANGE_ME_OWNER_PASSWORD"
SERVICE_PASSWORD = "CHANGE_ME_SERVICE_PASSWORD"


class RoleNameError(ValueError):
    pass


@dataclass(frozen=True)
class RoleNames:
    owner: str = "orgbot_owner"
    service: str = "orgbot_app"
    database: str = "orgbot"

    def __post_init__(self) -> None:
        for label, value in (("owner", self.owner), ("service", self.service), ("database", self.database)):
            if not _NAME_RE.match(value):
                raise RoleNameError(
                    f"{label} 名称 {value!r} 不可用：只能用小写字母、数字和下划线，以字母或下划线开头，最多 63 个字符。"
                )
        if self.owner == self.service:
            raise RoleNameError("owner 与 service 必须是两个不同的角色。")


@dataclass(frozen=True)
class RolesSql:
    """Three scripts, each run by a different actor at a different time (see ``render``)."""

    cluster: str  # as a superuser, connected to any database
    database: str  # as a superuser, connected to the bot's database
    grants: str  # as the owner, after every ``orgbot db upgrade``


def roles_sql(
    names: RoleNames, owner_password: str = OWNER_PASSWORD, service_password: str = SERVICE_PASSWORD
) -> RolesSql:
    o, s, d, sc = names.owner, names.service, names.database, "public"
    cluster = f"""\
CREATE ROLE {o} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {_literal(owner_password)};
CREATE ROLE {s} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {_literal(service_password)};
CREATE DATABASE {d} OWNER {o} ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE {d} FROM PUBLIC;
GRANT CONNECT ON DATABASE {d} TO {s};
"""
    database = f"""\
CREATE SCHEMA IF NOT EXISTS {sc};
ALTER SCHEMA {sc} OWNER TO {o};
REVOKE ALL ON SCHEMA {sc} FROM PUBLIC;
GRANT USAGE ON SCHEMA {sc} TO {s};
"""
    grants = f"""\
GRANT USAGE ON SCHEMA {sc} TO {s};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sc} TO {s};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sc} TO {s};
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {sc}.audit_log FROM {s};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {sc}.alembic_version FROM {s};
ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {sc} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {s};
ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {sc} GRANT USAGE, SELECT ON SEQUENCES TO {s};
"""
    return RolesSql(cluster, database, grants)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render(names: RoleNames) -> str:
    """The whole procedure as one psql-ready text, steps in order, passwords left as placeholders."""
    sql = roles_sql(names)
    o, s, d = names.owner, names.service, names.database
    return f"""\
-- orgbot 最小权限数据库角色（PostgreSQL）
-- {o}：拥有库和表结构，只用于 `orgbot db upgrade`；{s}：日常运行，只能增删改查本系统的表，
-- 不能 TRUNCATE、不能建表删表改表；audit_log 只能 INSERT 和 SELECT。
-- 先把两处 CHANGE_ME_… 换成各自的强密码（不要写进命令行历史）。

-- 第 1 步：以超级用户执行（例如 psql -U postgres）
{sql.cluster}
-- 第 2 步：以超级用户连接 {d} 库执行（psql -U postgres -d {d}）
{sql.database}
-- 第 3 步：用 {o} 运行迁移：
--   ORGBOT_DATABASE_URL=postgresql://{o}:密码@主机/{d} orgbot db upgrade
-- 第 4 步：以 {o} 连接 {d} 库执行；以后每次 `orgbot db upgrade` 之后再执行一遍（可重复执行）
{sql.grants}
-- 第 5 步：服务用 {s} 运行，并关闭自动迁移：
--   ORGBOT_DATABASE_URL=postgresql://{s}:密码@主机/{d}
--   [database] auto_migrate = false
"""
