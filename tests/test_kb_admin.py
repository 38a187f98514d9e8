"""Knowledge administration: typed results from the knowledge core, admins only, changes audited."""

from __future__ import annotations

from sqlalchemy import select

from bot import kb_admin
from bot.access import Access
from bot.actor import Actor, NotPermitted
from bot.roles import Role
from bot.storage.models import AuditEntry
from knowledge import ImportReport, bundled_corpus
from tests.conftest import say

ADMIN = Actor(Access("boss", Role.ADMIN), "console")
ORGANIZER = Actor(Access("org", Role.ORGANIZER), "console")


async def _audit(bot) -> list[tuple[str, str, str]]:
    async with bot.db() as session:
        return [
            (r.actor, r.action, r.outcome) for r in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


async def test_import_list_hit_test_and_remove(bot, tmp_path):
    report = await kb_admin.import_documents(bot, ADMIN, [bundled_corpus()])
    assert isinstance(report, ImportReport) and report.added
    groups = await kb_admin.documents(bot, ADMIN)
    assert isinstance(groups, list) and groups
    assert all(sum(d.is_current for d in g.versions) <= 1 for g in groups)
    assert any(g.current is not None for g in groups)

    hit = await kb_admin.hit_test(bot, ADMIN, "入党介绍人要几个")
    assert isinstance(hit, kb_admin.HitTest) and hit.status == "answered" and hit.reason
    assert hit.candidates and hit.candidates[0].rank >= hit.candidates[-1].rank
    assert "第" in hit.candidates[0].citation

    bad = tmp_path / "坏文件.docx"
    bad.write_bytes(b"not a docx")
    rejected = await kb_admin.import_documents(bot, ADMIN, [bad])
    assert isinstance(rejected, kb_admin.ImportRejected) and "坏文件.docx" in rejected.errors[0]

    key = groups[0].versions[0].doc_key
    assert await kb_admin.remove_document(bot, ADMIN, key) is True
    assert await kb_admin.remove_document(bot, ADMIN, key) is False
    assert [(a, o) for _, a, o in await _audit(bot)] == [
        ("kb.import", "applied"),
        ("kb.import", "rejected"),
        ("kb.remove", "ok"),
        ("kb.remove", "not_found"),
    ]


async def test_the_unanswered_queue_becomes_faq_entries(bot, tmp_path):
    await (await bot.kb.get()).import_paths([bundled_corpus()])
    await say(bot, "zhangsan", "食堂几点开饭")
    queue = await kb_admin.unanswered(bot, ADMIN)
    assert isinstance(queue, list) and [q.question for q in queue] == ["食堂几点开饭"]
    assert await kb_admin.export_unanswered(bot, ADMIN, tmp_path / "q.xlsx") == 1
    assert await kb_admin.answer_unanswered(bot, ADMIN, 999_999, "x") == kb_admin.NoSuchQuestion(999_999)
    made = await kb_admin.answer_unanswered(bot, ADMIN, queue[0].id, "11:30 开饭。")
    assert isinstance(made, kb_admin.FaqAdded) and made.question == "食堂几点开饭"
    assert await kb_admin.unanswered(bot, ADMIN) == []
    assert "11:30" in await say(bot, "zhangsan", "食堂几点开饭")


async def test_feedback_lists_the_negative_verdicts(bot):
    await (await bot.kb.get()).import_paths([bundled_corpus()])
    await say(bot, "lisi", "入党介绍人要几个")
    await say(bot, "lisi", "不对")
    rows = await kb_admin.feedback(bot, ADMIN)
    assert isinstance(rows, list) and [(r.verdict, r.user_id, r.status) for r in rows] == [
        ("不对", "terminal:lisi", "answered")
    ]
    assert rows[0].doc_key


async def test_only_admins_administer_the_knowledge_base(bot, tmp_path):
    for call in (
        kb_admin.documents(bot, ORGANIZER),
        kb_admin.import_documents(bot, ORGANIZER, [bundled_corpus()]),
        kb_admin.remove_document(bot, ORGANIZER, "x"),
        kb_admin.hit_test(bot, ORGANIZER, "入党"),
        kb_admin.unanswered(bot, ORGANIZER),
        kb_admin.add_faq(bot, ORGANIZER, "问", "答"),
        kb_admin.feedback(bot, ORGANIZER),
    ):
        assert isinstance(await call, NotPermitted)
    assert await (await bot.kb.get()).list_documents() == []
    assert {o for who, _, o in await _audit(bot)} == {"denied"}
    assert len(await _audit(bot)) == 7


async def test_versions_of_one_document_are_listed_together(bot, tmp_path):
    for year, day, clause in (("2014", "5月28日", "三名"), ("2026", "5月11日", "一至两名")):
        folder = tmp_path / year
        folder.mkdir()
        (folder / f"xize_{year}.txt").write_text(
            f"中国共产党发展党员工作细则\n（{year}年{day}中共中央办公厅发布）\n第一章　总则\n"
            f"第十条　入党积极分子培养联系人为{clause}正式党员。\n",
            encoding="utf-8",
        )
        await kb_admin.import_documents(bot, ADMIN, [folder])
    groups = await kb_admin.documents(bot, ADMIN)
    assert isinstance(groups, list) and len(groups) == 1
    (group,) = groups
    assert [d.doc_key for d in group.versions] == ["xize_2014", "xize_2026"]
    assert group.current is not None and group.current.doc_key == "xize_2026"
