"""The five sheet kinds (人员, 单位, 干部, 培训记录, 后备干部): their Chinese columns and an example row.

The same definitions drive the blank templates, the importer and the exporter, so a
file exported today imports again unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.cadres import cells
from bot.roles import ROLE_LABELS, Role

EXAMPLE_MARK = "示例"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    parse: cells.Parser
    required: bool = False
    example: str = ""

    @property
    def title(self) -> str:
        """The header as written in templates; ``*`` marks a column that may not be empty."""
        return self.header + ("*" if self.required else "")


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def filename_stem(self) -> str:
        return self.title


_ROLES = {r.name.lower(): r.name.lower() for r in Role if r is not Role.GUEST} | {
    ROLE_LABELS[r]: r.name.lower() for r in Role if r is not Role.GUEST
}
_ROLES |= {"干部": "staff", "工作人员": "staff", "组织员": "organizer", "管理员": "admin"}
_GENDERS = {"男": "男", "女": "女", "m": "男", "f": "女", "male": "男", "female": "女"}
_MODES = {
    w: w
    for w in ("脱产培训", "网络培训", "在职自学", "在职培训", "专题培训", "任职培训", "初任培训", "调训", "自主选学")
} | {
    "脱产": "脱产培训",
    "网络": "网络培训",
    "线上": "网络培训",
    "网上": "网络培训",
    "自学": "在职自学",
    "在职": "在职培训",
}
_STATUSES = {w: w for w in ("已结业", "在学", "未结业", "已完成", "未完成", "退学", "合格", "不合格")} | {
    "结业": "已结业",
    "完成": "已完成",
    "在读": "在学",
    "进行中": "在学",
}

STAFF = Kind(
    "staff",
    "人员",
    (
        Column("用户ID", "user_id", cells.plain(64), True, "示例zhangsan"),
        Column("姓名", "name", cells.plain(64), True, "示例·张三"),
        Column("角色", "role", cells.choice(_ROLES, "角色"), True, "组织员"),
        Column("所在单位编码", "unit", cells.unit_code, False, "U0101"),
        Column("管理单位范围", "unit_scope", cells.unit_code, False, "U01"),
        Column("干部编号", "cadre_id", cells.cadre_id, False, "A1024"),
        Column("企业微信账号", "wecom", cells.plain(128), False, "ZhangSan"),
        Column("钉钉账号", "dingtalk", cells.plain(128), False, ""),
        Column("飞书账号", "feishu", cells.plain(128), False, ""),
    ),
    ("user_id",),
)

UNITS = Kind(
    "units",
    "单位",
    (
        Column("单位编码", "code", cells.unit_code, True, "示例U0101"),
        Column("单位名称", "name", cells.plain(128), True, "示例市委组织部干部一科"),
        Column("上级单位编码", "parent_code", cells.unit_code, False, "U01"),
    ),
    ("code",),
)

CADRES = Kind(
    "cadres",
    "干部",
    (
        Column("干部编号", "cadre_id", cells.cadre_id, True, "示例A1024"),
        Column("姓名", "name", cells.plain(64), True, "示例·张三"),
        Column("单位编码", "unit_code", cells.unit_code, True, "U0101"),
        Column("职务", "post", cells.plain(128), False, "科长"),
        Column("职级", "rank", cells.plain(32), False, "正科"),
        Column("性别", "gender", cells.choice(_GENDERS, "性别"), False, "男"),
        Column("出生日期", "birth_date", cells.month_or_day, False, "1985-06-15"),
        Column("身份证号", "id_card", cells.id_card, False, "110101198506150000"),
        Column("学历", "education", cells.plain(64), False, "全日制本科"),
        Column("入党时间", "party_date", cells.month_or_day, False, "2008/7/1"),
        Column("参加工作时间", "work_start_date", cells.month_or_day, False, "2007年8月"),
        Column("手机号码", "phone", cells.phone, False, "13800000000"),
        Column("办公电话", "office_phone", cells.phone, False, "0511-80000000"),
    ),
    ("cadre_id",),
)

TRAINING = Kind(
    "training",
    "培训记录",
    (
        Column("干部编号", "cadre_id", cells.cadre_id, True, "示例A1024"),
        Column("班次名称", "course", cells.plain(200), True, "2026年春季中青年干部培训班"),
        Column("举办单位", "organizer", cells.plain(128), False, "市委党校"),
        Column("开始日期", "start_date", cells.day, True, "2026-03-02"),
        Column("结束日期", "end_date", cells.day, False, "2026年3月20日"),
        Column("学时", "hours", cells.hours, False, "96"),
        Column("天数", "days", cells.days, False, ""),
        Column("培训方式", "mode", cells.choice(_MODES, "培训方式"), False, "脱产培训"),
        Column("状态", "status", cells.choice(_STATUSES, "状态"), False, "已结业"),
        Column("证书编号", "certificate", cells.plain(64), False, "DX2026-0315"),
    ),
    ("cadre_id", "course", "start_date"),
)

RESERVE = Kind(
    "reserve",
    "后备干部",
    (
        Column("干部编号", "cadre_id", cells.cadre_id, True, "示例A1024"),
        Column("后备类别", "level", cells.plain(32), True, "副处级后备"),
        Column("入库日期", "entered_on", cells.day, True, "2024-06-30"),
        Column("推荐方式", "recommended_by", cells.plain(64), False, "民主推荐"),
        Column("考察状态", "inspection_status", cells.plain(32), False, "已考察"),
        Column("考察结果", "inspection_result", cells.plain(200), False, "优秀，近期可用"),
        Column(
            "培养措施",
            "measures",
            cells.plain(2000),
            False,
            "挂职：某县副县长（2025-03-01至2026-02-28）；轮岗：市发改委综合科",
        ),
        Column("退出日期", "exit_on", cells.day, False, ""),
        Column("退出原因", "exit_reason", cells.plain(200), False, ""),
    ),
    ("cadre_id", "level"),
)

KINDS: tuple[Kind, ...] = (STAFF, UNITS, CADRES, TRAINING, RESERVE)
BY_NAME = {k.name: k for k in KINDS}
# Import order: what a row refers to is written before it.
APPLY_ORDER = ("units", "cadres", "staff", "training", "reserve")


def normalize_header(value: object) -> str:
    s = unicodedata.normalize("NFKC", str(value or "")).strip()
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"[（(]必填[)）]$", "", s)
    return s.rstrip("*").strip()


def kind_for_headers(headers: list[str], hint: str = "") -> Kind | None:
    """The kind whose required columns are all present, preferring the one named by file or sheet name."""
    present = set(headers)
    fits = [k for k in KINDS if all(c.header in present for c in k.columns if c.required)]
    if not fits:
        return None
    for k in fits:
        if k.title in hint or k.name in hint.lower():
            return k
    return max(fits, key=lambda k: sum(c.header in present for c in k.columns))


def is_example_row(first_cell: object) -> bool:
    return str(first_cell or "").strip().startswith(EXAMPLE_MARK)
