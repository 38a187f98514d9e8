"""Policy Q&A through the bot, read like chat transcripts; and the CLI around it."""

from __future__ import annotations

import json
import re

import pytest

from knowledge import bundled_corpus
from tests.conftest import add_staff, say
from tests.test_cli import orgbot


@pytest.fixture
async def kb_bot(make_bot):
    bot = await make_bot()
    await (await bot.kb.get()).import_paths([bundled_corpus()])
    return bot


async def test_clear_question_is_answered_with_its_clause(kb_bot):
    reply = await say(kb_bot, "zhangsan", "入党介绍人要几个")
    assert "《中国共产党发展党员工作细则》" in reply and "第十四条" in reply
    assert "不对" in reply


async def test_vague_question_gets_a_menu_and_a_number_picks(kb_bot):
    menu = await say(kb_bot, "zhangsan", "发展党员")
    assert "请回复序号" in menu
    options = re.findall(r"^(\d)\. (《[^》]+》[^：]*)：", menu, flags=re.M)
    assert len(options) >= 2
    picked = await say(kb_bot, "zhangsan", "2")
    assert options[1][1] in picked and "出处" in picked
    # The menu is used up: a later "2" is a new (unanswerable) question, not a pick.
    assert options[1][1] not in await say(kb_bot, "zhangsan", "2")


async def test_a_picked_menu_entry_cites_the_version_like_a_direct_answer(kb_bot):
    await say(kb_bot, "zhangsan", "发展党员")
    picked = await say(kb_bot, "zhangsan", "2")
    assert re.search(r"（出处：《中国共产党发展党员工作细则》第[^）]+条，2026-05-11 版）", picked), picked


async def test_dialogue_words_and_small_talk_are_not_searched_or_logged(kb_bot):
    # With no dialogue open, "取消" must not quote 取消预备党员资格, "1天" must not open a
    # menu, and "谢谢" must not land in the admins' unanswered list.
    for text, expected in [
        ("取消", "没有进行中的操作"),
        ("确认", "没有等待您确认"),
        ("1天", "没有等待您选择"),
        ("3", "没有等待您选择"),
        ("谢谢", "不客气"),
        ("好的", "还有问题随时问我"),
    ]:
        reply = await say(kb_bot, "zhangsan", text)
        assert expected in reply, (text, reply)
        assert "出处" not in reply and "请回复序号" not in reply, (text, reply)
    stats = await (await kb_bot.kb.get()).stats()
    assert stats["unanswered"] == 0


async def test_cancel_drops_an_open_menu(kb_bot):
    assert "请回复序号" in await say(kb_bot, "zhangsan", "发展党员")
    assert "已取消" in await say(kb_bot, "zhangsan", "取消")
    assert "没有等待您选择" in await say(kb_bot, "zhangsan", "2")


async def test_out_of_range_pick_asks_again(kb_bot):
    await say(kb_bot, "zhangsan", "发展党员")
    assert "请回复 1 到" in await say(kb_bot, "zhangsan", "9")


async def test_unknown_question_is_declined_logged_and_listed_for_admins(kb_bot):
    reply = await say(kb_bot, "zhangsan", "今天天气怎么样")
    assert "没有找到" in reply and "组织部" in reply
    await add_staff(kb_bot, "boss", "管理员甲", "admin")
    assert "今天天气怎么样" in await say(kb_bot, "boss", "/未解答")
    assert "需要管理员权限" in await say(kb_bot, "zhangsan", "/未解答")


async def test_feedback_is_recorded_against_the_last_answer(kb_bot):
    assert "没有可以反馈" in await say(kb_bot, "lisi", "不对")
    await say(kb_bot, "lisi", "入党介绍人要几个")
    assert "已记录" in await say(kb_bot, "lisi", "不对")
    stats = await (await kb_bot.kb.get()).stats()
    assert stats["feedback"] == 1


async def test_feedback_reaches_the_answer_given_by_another_instance_in_the_same_chat(kb_bot, make_bot):
    second = await make_bot()  # another instance on the same database (e.g. behind a load balancer)
    await say(kb_bot, "wangwu", "入党介绍人要几个")
    assert "没有可以反馈" in await say(second, "wangwu", "不对", group=True)  # not asked in that chat
    assert "已记录" in await say(second, "wangwu", "不对")
    assert (await (await second.kb.get()).stats())["feedback"] == 1


def test_ask_json_is_one_stable_object_per_line(db_url, tmp_path):
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "idx")}
    r = orgbot("kb", "import", str(bundled_corpus()), db_url=db_url, env=env)
    assert r.returncode == 0, r.stderr
    r = orgbot("ask", "--json", "-", db_url=db_url, env=env, stdin="入党介绍人要几个\n\n今天天气怎么样\n")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["status"] for d in lines] == ["answered", "unknown"]
    first = lines[0]
    assert {"question", "status", "answer", "sources"} <= first.keys()
    assert {"doc", "locator", "text", "score"} <= first["sources"][0].keys()
    assert "第十四条" in first["sources"][0]["locator"]
    single = json.loads(orgbot("ask", "--json", "发展党员", db_url=db_url, env=env).stdout)
    assert single["status"] == "clarify" and len(single["sources"]) >= 2


async def test_chat_and_cli_render_the_same_decision_the_same_way(make_bot, db_url, tmp_path):
    # One wording (bot/policy_reply.py): an answer, a menu and a recorded decline read
    # in `orgbot ask --record` exactly as a person reads them in chat.
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "cli-idx")}
    assert orgbot("kb", "import", str(bundled_corpus()), db_url=db_url, env=env).returncode == 0
    questions = ["入党介绍人要几个", "发展党员", "今天天气怎么样"]
    printed = orgbot("ask", "--record", "-", db_url=db_url, env=env, stdin="\n".join(questions) + "\n").stdout
    bot = await make_bot()
    replies = [await say(bot, f"u{i}", q) for i, q in enumerate(questions)]
    assert "不对" in replies[0] and "请回复序号" in replies[1] and "已记录" in replies[2]
    for reply in replies:
        assert reply in printed, (reply, printed)


def test_kb_cli_refuses_bad_files_whole_and_explains_hits(db_url, tmp_path):
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "idx")}
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "关于值班的通知\n一、值班安排\n节假日值班安排由办公室负责，值班人员须保持通讯畅通。\n", encoding="utf-8"
    )
    (folder / "empty.txt").write_text("", encoding="utf-8")
    r = orgbot("kb", "import", str(folder), db_url=db_url, env=env)
    assert r.returncode == 1 and "empty.txt" in r.stdout and "没有任何改动" in r.stdout
    assert "知识库是空的" in orgbot("kb", "list", db_url=db_url, env=env).stdout
    (folder / "empty.txt").unlink()
    assert orgbot("kb", "import", str(folder), db_url=db_url, env=env).returncode == 0
    assert "good" in orgbot("kb", "list", db_url=db_url, env=env).stdout
    report = orgbot("kb", "test", "节假日值班谁负责", db_url=db_url, env=env).stdout
    assert "候选" in report and "决定" in report
    assert orgbot("kb", "remove", "good", db_url=db_url, env=env).returncode == 0
    assert orgbot("kb", "remove", "good", db_url=db_url, env=env).returncode == 1


def test_unanswered_times_are_shown_in_the_configured_timezone():
    # SQLite hands back naive UTC; admins read local time, like the audit log shows it.
    from datetime import UTC, datetime

    from bot.clock import local_minute

    assert local_minute(datetime(2026, 11, 28, 1, 40), "Asia/Shanghai") == "2026-11-28 09:40"
    assert local_minute(datetime(2026, 11, 28, 23, 5, tzinfo=UTC), "Asia/Shanghai") == "2026-11-29 07:05"
    assert local_minute(None, "Asia/Shanghai") == ""


def test_ask_says_it_recorded_a_question_only_when_it_did(db_url, tmp_path):
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "idx")}
    assert orgbot("kb", "import", str(bundled_corpus()), db_url=db_url, env=env).returncode == 0
    plain = orgbot("ask", "单位食堂中午几点开饭", db_url=db_url, env=env).stdout
    assert "没有找到" in plain and "已记录" not in plain
    assert "没有未解答的问题" in orgbot("kb", "unanswered", db_url=db_url, env=env).stdout
    recorded = orgbot("ask", "--record", "单位食堂中午几点开饭", db_url=db_url, env=env).stdout
    assert "已记录下来供管理员补充" in recorded
    assert "单位食堂中午几点开饭" in orgbot("kb", "unanswered", db_url=db_url, env=env).stdout


def test_kb_test_lists_candidates_in_the_order_of_the_score_it_prints_and_says_why(db_url, tmp_path):
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "idx")}
    assert orgbot("kb", "import", str(bundled_corpus()), db_url=db_url, env=env).returncode == 0
    for question, why in [("入党介绍人要几个", "为什么回答"), ("党员可以炒股吗", "为什么没有直接回答")]:
        report = orgbot("kb", "test", question, db_url=db_url, env=env).stdout
        ranks = [float(x) for x in re.findall(r"\[排序 ([0-9.]+)｜", report)]
        assert len(ranks) >= 2 and ranks == sorted(ranks, reverse=True), report
        assert why in report and "估计答对概率" in report, report
        assert "对答对概率的影响" in report


def test_kb_faq_add_from_unanswered_answers_the_logged_question(db_url, tmp_path):
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "idx")}
    assert orgbot("kb", "import", str(bundled_corpus()), db_url=db_url, env=env).returncode == 0
    question = "生活困难党员慰问金标准是多少"  # in neither the documents nor the demo FAQ
    orgbot("ask", "--record", question, db_url=db_url, env=env)
    listing = orgbot("kb", "unanswered", db_url=db_url, env=env).stdout
    number = re.search(rf"#(\d+) .*{question}", listing)
    assert number, listing
    bad = orgbot("kb", "faq-add", "--from-unanswered", "99999", "--answer", "x", db_url=db_url, env=env)
    assert bad.returncode == 1 and "没有编号为 99999" in bad.stdout + bad.stderr
    answer = "按本单位年度预算执行，以党委通知为准。"
    r = orgbot("kb", "faq-add", "--from-unanswered", number.group(1), "--answer", answer, db_url=db_url, env=env)
    assert r.returncode == 0 and question in r.stdout, r.stdout + r.stderr
    assert answer in orgbot("ask", question, db_url=db_url, env=env).stdout
    assert question not in orgbot("kb", "unanswered", db_url=db_url, env=env).stdout
    orgbot("chat", "--user", "lisi", db_url=db_url, env=env, stdin="入党介绍人要几个\n不对\n")
    feedback = orgbot("kb", "feedback", db_url=db_url, env=env).stdout
    assert "不对" in feedback and "入党介绍人要几个" in feedback, feedback
