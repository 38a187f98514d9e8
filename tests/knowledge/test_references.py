"""A clause that only points at another one ("与…相同", "按照第X条") defers to it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge import KnowledgeBase


async def test_the_clause_a_reference_quotes_is_ranked_first(kb: KnowledgeBase) -> None:
    # 第三十二条 says the 转正 meeting's quorum is "与讨论接收预备党员的党支部党员大会相同":
    # it quotes the question; 第十九条 states the quorum.
    report = await kb.explain("讨论接收预备党员的支部党员大会对到会人数有什么要求")
    first = report["candidates"][0]
    assert first["locator"].endswith("第十九条")
    assert first["referred_by"].endswith("第三十二条")
    assert "半数" in report["result"]["answer"]
    assert report["candidates"][1]["locator"].endswith("第三十二条")


async def test_a_question_about_the_referring_clause_itself_stays_with_it(kb: KnowledgeBase) -> None:
    report = await kb.explain("讨论预备党员转正的支部大会对到会人数有什么要求")
    assert report["candidates"][0]["locator"].endswith("第三十二条")
    assert report["candidates"][0]["referred_by"] == ""
    # It borrows 接收 from the reference too, but 转正, its own subject, weighs more.
    report = await kb.explain("讨论转正的支部大会 到会人数和赞成票要求跟接收时一样吗")
    assert report["candidates"][0]["locator"].endswith("第三十二条")


async def test_a_reference_in_another_document_defers_by_words_or_number(engine: AsyncEngine, tmp_path: Path) -> None:
    doc = tmp_path / "kaohe_banfa.txt"
    doc.write_text(
        "干部考核办法\n"
        "第一条　为规范干部考核工作，制定本办法。\n"
        "第二条　新录用人员的试用期考核，由组织人事部门组织，考核合格的按期转正。\n"
        "第三条　调任人员考核的程序和要求，与新录用人员的试用期考核相同。\n"
        "第四条　借调人员的考核，按照本办法第二条执行。\n",
        encoding="utf-8",
    )
    kb = await KnowledgeBase.open(engine, None)
    await kb.import_paths([doc])
    report = await kb.explain("新录用人员试用期考核的程序和要求")
    assert [c["locator"][-3:] for c in report["candidates"][:2]] == ["第二条", "第三条"]
    assert report["candidates"][0]["referred_by"].endswith("第三条")
    report = await kb.explain("第二条规定的考核由谁组织")
    assert report["candidates"][0]["locator"].endswith("第二条")
    # Questions about the referring clause's own subject stay with it.
    assert (await kb.explain("调任人员考核的程序"))["candidates"][0]["locator"].endswith("第三条")
    assert (await kb.explain("借调人员的考核"))["candidates"][0]["locator"].endswith("第四条")
