"""Built-in reminders for the department's recurring deadlines (domain.md §2).

Dates are local practice, so every template either asks the admin for its date or
offers a default the admin can replace; nothing fires until an admin enables it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.scheduling.rules import Rule


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    aliases: tuple[str, ...]
    text: str
    default_when: str = ""
    ladder: tuple[int, ...] = ()
    hint: str = ""

    @property
    def needs_date(self) -> bool:
        return not self.default_when

    def applied_to(self, rule: Rule) -> Rule:
        """A deadline set from this template is reminded on the template's ladder (七一: 7, 3, 1, 0
        days before), not the phrase's default; a rule with no deadline has no ladder to replace."""
        if self.ladder and rule.deadline:
            return replace(rule, ladder=self.ladder)
        return rule


TEMPLATES: tuple[Template, ...] = (
    Template(
        "qiyi",
        "七一表彰推荐",
        ("七一", "两优一先", "表彰推荐", "七一表彰"),
        "请按通知要求报送“两优一先”表彰推荐材料（推荐审批表、事迹材料、考察意见），并做好公示；逾期未报视为放弃推荐。",
        ladder=(7, 3, 1, 0),
        hint="推荐材料截止日期，如“5月25日前”",
    ),
    Template(
        "minzhu_pingyi",
        "民主评议党员",
        ("民主评议", "评议党员", "民主评议党员"),
        "请按要求完成年度民主评议党员：个人自评、党员互评、民主测评，并报送评议结果。",
        ladder=(7, 3, 1, 0),
        hint="评议结果报送截止日期，如“1月20日前”",
    ),
    Template(
        "zuzhi_shenghuohui",
        "组织生活会",
        ("组织生活会", "生活会"),
        "请按要求召开年度组织生活会：会前开展学习研讨、谈心谈话、征求意见，会后及时报送会议情况和整改清单。",
        ladder=(14, 7, 3, 1),
        hint="组织生活会召开截止日期，如“1月31日前”",
    ),
    Template(
        "sanhui_yike",
        "三会一课",
        ("三会一课", "3会1课"),
        "本月三会一课：请确认支部委员会、党小组会已召开（本季度党员大会和党课按计划开展），并及时上传会议记录。",
        default_when="每月最后一个工作日 16:00",
    ),
    Template(
        "dangfei",
        "党费收缴",
        ("党费", "交党费", "缴党费", "党费收缴"),
        "请按时完成本月党费收缴，并在系统中登记上报。",
        default_when="每月20日前",
        ladder=(3, 1, 0),
        hint="如“每月25日前”；截止日以本单位规定为准",
    ),
    Template(
        "niandu_kaohe",
        "年度考核",
        ("年度考核", "年终考核", "考核"),
        "请按通知完成年度考核：个人述职总结、民主测评、考核登记表填报，并按时报送。",
        ladder=(7, 3, 1, 0),
        hint="考核材料报送截止日期，如“1月15日前”",
    ),
)


def find_template(word: str) -> Template | None:
    word = word.strip()
    for t in TEMPLATES:
        if word in (t.key, t.name) or word in t.aliases:
            return t
    return None
