"""Policy Q&A as staff actually chat: lists, follow-ups read with the topic, typos, traps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat_topics import store
from bot.chat_topics.store import ChatKey
from bot.clock import ManualClock
from knowledge import bundled_corpus
from tests.conftest import say

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
XIZE = "《中国共产党发展党员工作细则》"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def kb_bot(make_bot, clock):
    bot = await make_bot(clock=clock)
    await (await bot.kb.get()).import_paths([bundled_corpus()])
    return bot


async def test_a_follow_up_is_read_with_the_last_answered_topic_and_says_so(kb_bot):
    first = await say(kb_bot, "zhangsan", "转正要走哪些手续")
    assert "第三十二条" in first and "接上文" not in first
    follow = await say(kb_bot, "zhangsan", "需要谁批准")
    assert follow.startswith("（接上文，按“转正需要谁批准”理解）"), follow
    assert f"（出处：{XIZE}" in follow and "批准" in follow
    # The topic is the question as read, kept in the database with its expiry.
    row = await store.current(kb_bot.db, ChatKey("terminal", "dm:zhangsan", "zhangsan"))
    assert row is not None and row.question == "转正需要谁批准"
    assert row.expires_at == START + timedelta(minutes=5)


async def test_the_topic_expires_and_belongs_to_one_person_in_one_chat(kb_bot, clock):
    await say(kb_bot, "zhangsan", "转正要走哪些手续", group=True)
    # Someone else in the same group has no topic: their short question is read as typed.
    assert "接上文" not in await say(kb_bot, "lisi", "需要谁批准", group=True)
    # Nor does the same person in another chat.
    assert "接上文" not in await say(kb_bot, "zhangsan", "需要谁批准")
    clock.advance(timedelta(minutes=4))
    assert "接上文" in await say(kb_bot, "zhangsan", "需要谁批准", group=True)
    clock.advance(timedelta(minutes=5, seconds=1))  # five minutes after that answer
    assert "接上文" not in await say(kb_bot, "zhangsan", "需要谁批准", group=True)
    key = ChatKey("terminal", "group-1", "zhangsan")
    row = await store.current(kb_bot.db, key)
    assert row is None or row.question == "需要谁批准" or row.expires_at <= clock.now()  # replaced, or out of force
    async with kb_bot.db() as session, session.begin():  # what housekeeping does
        await store.forget_expired(session, clock.now())
    row = await store.current(kb_bot.db, key)
    assert row is None or row.expires_at > clock.now()


async def test_the_topic_survives_a_restart_and_can_be_switched_off(make_bot, kb_bot, clock):
    await say(kb_bot, "zhangsan", "转正要走哪些手续")
    await kb_bot.stop(timeout=2)
    again = await make_bot(clock=clock)
    assert "接上文" in await say(again, "zhangsan", "需要谁批准")
    off = await make_bot(clock=clock, ORGBOT_KNOWLEDGE_FOLLOWUP_MINUTES="0")
    await say(off, "wangwu", "转正要走哪些手续")
    assert "接上文" not in await say(off, "wangwu", "需要谁批准")


async def test_a_question_that_names_its_own_topic_is_not_bent_by_the_last_one(kb_bot):
    await say(kb_bot, "zhangsan", "转正要走哪些手续")
    reply = await say(kb_bot, "zhangsan", "入党介绍人要几个")
    assert "接上文" not in reply and "第十四条" in reply


async def test_list_questions_are_answered_whole_through_the_chat(kb_bot):
    tasks = await say(kb_bot, "zhangsan", "入党介绍人有哪些任务")
    assert all(f"（{n}）" in tasks for n in "一二三四五"), tasks
    aspects = await say(kb_bot, "zhangsan", "今年组织工作要从哪几个方面来把握")
    assert all(f"第{n}," in aspects for n in "一二三四"), aspects
    assert len(re.findall("（出处：", aspects)) == 5
    review = await say(kb_bot, "zhangsan", "政审都审些什么内容")
    assert review.index("坚定马克思主义信仰") < review.index("家庭主要成员和重要社会关系的政治情况")


@pytest.mark.parametrize("question", ["入党要什么条件", "入党需要什么条件", "什么人可以入党"])
async def test_a_newcomers_first_question_is_answered_with_who_may_apply(kb_bot, question):
    # The demo's first question: the rule never says 条件, it says who 可以申请加入中国共产党.
    reply = await say(kb_bot, "zhangsan", question)
    assert "第五条" in reply and "年满十八岁" in reply and "没有找到" not in reply, reply


async def test_a_near_tie_is_asked_back_not_answered(kb_bot):
    # 入党 + 条件 occur in several clauses alike: picking one would be a guess.
    reply = await say(kb_bot, "zhangsan", "入党的条件是什么")
    assert "如果答非所问" not in reply and ("请回复序号" in reply or "没有找到" in reply), reply
    why = await (await kb_bot.kb.get()).explain("入党的条件是什么")
    assert why["result"]["status"] != "answered"
    # kb test says why: a likely pair that is too close to call.
    if why["decision"]["probability"] >= (await kb_bot.kb.get()).calibration.answer:
        assert "几乎同分" in why["decision"]["reason"], why["decision"]


@pytest.mark.parametrize(
    ("typed", "article", "words"),
    [
        ("党令怎么算", "第三十三条", "党龄"),
        ("民主平议党员按什么程序", "第十八条", "民主测评"),
        ("流动人员的政申要征求哪里意见", "第十六条", "户籍所在地"),
    ],
)
async def test_typed_and_homophone_forms_are_answered_with_the_right_clause(kb_bot, typed, article, words):
    reply = await say(kb_bot, "zhangsan", typed)
    assert article in reply and words in reply and "出处" in reply, reply


@pytest.mark.parametrize(
    "trap",
    [
        "今年我们单位优秀共产党员名额有几个",  # 名额 is in no passage: declined by rule
        "入党誓词原文能发我一下吗",
        "党员酒驾会受什么处分",
        "主题党日定在每月几号",  # 每月开展1次 says how often, not on which day
        "单位食堂中午几点开饭",
    ],
)
async def test_traps_that_look_answerable_are_declined_not_answered(kb_bot, trap):
    reply = await say(kb_bot, "zhangsan", trap)
    assert "没有找到" in reply and "如果答非所问" not in reply, reply


async def test_an_unanswered_question_turned_into_an_faq_is_answered_next_time(kb_bot):
    from tests.conftest import add_staff

    await add_staff(kb_bot, "boss", "管理员甲", "admin")
    # Neither the documents nor the demo FAQ answer it (党费按什么比例交 is in the FAQ).
    question = "生活困难党员慰问金标准是多少"
    assert "没有找到" in await say(kb_bot, "zhangsan", question)
    listing = await say(kb_bot, "boss", "/未解答")
    number = re.search(rf"#(\d+) {question}", listing)
    assert number, listing
    assert "需要管理员权限" in await say(kb_bot, "zhangsan", f"/补充 {number.group(1)} 随便写的")
    assert "没有编号为 99999" in await say(kb_bot, "boss", "/补充 99999 答案")
    assert "用法" in await say(kb_bot, "boss", "/补充 答案没有编号")
    answer = "生活困难党员慰问金按本单位年度预算执行，具体以党委通知为准。"
    confirm = await say(kb_bot, "boss", f"/补充 {number.group(1)} {answer}")
    assert "已把" in confirm and question in confirm
    # At once: the same question (and a near form of it) now gets the curated answer.
    assert answer in await say(kb_bot, "zhangsan", question)
    assert answer in await say(kb_bot, "lisi", "困难党员慰问金标准是多少？")
    assert question not in await say(kb_bot, "boss", "/未解答")


async def test_an_admins_wrong_flag_withdraws_the_clause_for_that_question_at_once(make_bot, kb_bot, clock):
    from tests.conftest import add_staff

    await add_staff(kb_bot, "boss", "管理员甲", "admin")
    question = "入党介绍人要几个"
    assert "第十四条" in await say(kb_bot, "zhangsan", question)
    # A staff member's 不对 is recorded for admins but changes nothing by itself.
    assert "管理员会据此改进" in await say(kb_bot, "zhangsan", "不对")
    assert "第十四条" in await say(kb_bot, "lisi", question)
    assert "第十四条" in await say(kb_bot, "boss", question)
    assert "管理员标记为不对" in await say(kb_bot, "boss", "不对")
    after = await say(kb_bot, "lisi", question)
    assert "第十四条" not in after, after
    # Other questions keep their answers, and the withdrawal outlives a restart.
    assert "第十四条" in await say(kb_bot, "lisi", "受了严重警告的党员还能当介绍人吗")
    await kb_bot.stop(timeout=2)
    again = await make_bot(clock=clock)
    assert "第十四条" not in await say(again, "wangwu", question)


async def test_non_admins_cannot_teach_the_bot_over_http(kb_bot):
    """Replayed against the running HTTP API: guests and staff send /补充 in every spelling
    and flag answers 不对; no FAQ appears and the answer to the question stays the same."""
    import random

    from aiohttp.test_utils import TestClient, TestServer

    from tests.conftest import add_staff

    await add_staff(kb_bot, "staff1", "干部甲", "staff")
    auth = {"Authorization": "Bearer test-token"}
    question = "入党介绍人要几个"
    rng = random.Random(13)
    async with TestClient(TestServer(kb_bot.web_app())) as client:

        async def chat(user: str, text: str) -> str:
            resp = await client.post("/api/v1/chat", json={"user_id": user, "text": text}, headers=auth)
            assert resp.status == 200
            return "\n".join(r["text"] for r in (await resp.json())["replies"])

        assert "没有找到" in await chat("staff1", "生活困难党员慰问金标准是多少")
        kb = await kb_bot.kb.get()
        logged = (await kb.unanswered_questions())[0]["id"]
        faqs_before = (await kb.stats())["faq_entries"]
        for user in ("guest-x", "staff1"):
            for _ in range(6):
                cmd = rng.choice(["/补充", "/补充答案", " /补充", "/补充　"])
                number = rng.choice([str(logged), f"#{logged}", str(logged + rng.randint(1, 5))])
                reply = await chat(user, f"{cmd}{number} 党费一律交100元")
                assert "已把" not in reply, reply
            assert "第十四条" in await chat(user, question)
            for verdict in ("不对", "答非所问", "错了"):
                await chat(user, verdict)
            assert "第十四条" in await chat(user, question)
        stats = await kb.stats()
        assert stats["faq_entries"] == faqs_before and stats["unanswered"] >= 1
        assert "第十四条" in await chat("someone-else", question)
