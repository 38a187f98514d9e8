"""The safe JSON reader: every body from outside either parses like json.loads or is refused with a reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.json_body import MAX_DEPTH, BadJson, nesting_depth, parse_json, parse_json_object
from bot.messages import ChatType, Incoming
from bot.storable_text import id_problem, incoming_problem, text_problem

FUZZ = settings(
    max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)

storable_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
) | st.text('[]{}"\\/ u0a', max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | storable_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(storable_text, inner, max_size=4),
    max_leaves=30,
)


def nesting(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


@FUZZ
@given(json_values, st.booleans())
def test_storable_json_within_the_depth_parses_exactly_like_json_loads(value, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only)
    if nesting(value) > MAX_DEPTH:
        with pytest.raises(BadJson):
            parse_json(raw.encode())
        return
    assert parse_json(raw.encode()) == json.loads(raw)


@FUZZ
@given(json_values, st.booleans(), st.integers(min_value=0, max_value=40))
def test_the_depth_scan_counts_exactly_the_nesting_whatever_the_strings_hold(value, ascii_only, wrap):
    for _ in range(wrap):
        value = [value] if wrap % 2 else {"[{": value}
    assert nesting_depth(json.dumps(value, ensure_ascii=ascii_only)) == nesting(value)


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_any_bytes_either_parse_or_are_refused_with_a_reason(raw):
    try:
        value = parse_json(raw)
    except BadJson as exc:
        assert str(exc) and exc.status in (400, 413)
        return
    assert json.loads(raw) == value


@FUZZ
@given(st.integers(min_value=1, max_value=100_000), st.sampled_from(["[", '{"a":', '[{"k":[', " [ "]))
def test_deep_nesting_is_refused_before_json_loads_recurses(depth, opener):
    raw = opener * depth
    if opener == " [ " and depth <= MAX_DEPTH:
        raw += " ] " * depth
        assert nesting(parse_json(raw)) == depth
        return
    with pytest.raises(BadJson):
        parse_json(raw)


def test_the_depth_limit_is_exact_and_brackets_in_strings_do_not_count():
    assert nesting(parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH)) == MAX_DEPTH
    with pytest.raises(BadJson, match="嵌套过深"):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    tricky = json.dumps({"text": "[[[{{{" * 100 + '\\"[', "n": [[1]]})
    assert parse_json(tricky)["n"] == [[1]]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"user_id": "a\\u0000b"}', "NUL"),
        ('{"a\\u0000": 1}', "NUL"),
        ('["\\ud800"]', "代理项"),
        ('{"x": {"y": ["ok", "\\udfff tail"]}}', "代理项"),
        ("NaN", "NaN"),
        ('{"n": -Infinity}', "Infinity"),
        ("1" * 5000, "数字过长"),
        (b"\xff\xfe{}", "UTF-8"),
        ("", "不是有效的 JSON"),
        ('{"a": 1', "不是有效的 JSON"),
    ],
)
def test_hostile_values_are_refused_with_a_chinese_reason(raw, reason):
    with pytest.raises(BadJson, match=reason) as caught:
        parse_json(raw if isinstance(raw, bytes) else raw.encode())
    assert caught.value.status == 400


def test_a_valid_surrogate_pair_is_an_ordinary_character():
    assert parse_json('"\\ud83d\\ude00"') == "😀"


def test_size_limit_answers_413_and_objects_are_checked():
    with pytest.raises(BadJson) as caught:
        parse_json(b"[" + b"1," * 600 + b"1]", max_bytes=1000)
    assert caught.value.status == 413
    with pytest.raises(BadJson, match="对象"):
        parse_json_object(b"[]")
    assert parse_json_object(b'{"a": 1.5e308}') == {"a": 1.5e308}
    with pytest.raises(BadJson, match="超出范围"):
        parse_json("[1e999]")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("张三", True), ("a\nb", True), ("a\x00b", False), ("\ud800", False), ("😀", True)],
)
def test_text_problem(value, ok):
    assert (text_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("zhangsan", True), ("ou_" + "a" * 125, True), ("a" * 129, False), ("a\nb", False), ("a\x85", False)],
)
def test_id_problem(value, ok):
    assert (id_problem(value) is None) is ok


def test_incoming_problem_names_the_field():
    def msg(**kw: str) -> Incoming:
        fields = {"channel": "http", "chat_id": "c", "sender_id": "u", "text": "hi", "message_id": "m1"}
        fields.update(kw)
        return Incoming(chat_type=ChatType.PRIVATE, **fields)  # type: ignore[arg-type]

    assert incoming_problem(msg()) is None
    assert (incoming_problem(msg(sender_id="u\x00")) or "").startswith("user_id")
    assert (incoming_problem(msg(chat_id="c" * 200)) or "").startswith("chat_id")
    assert (incoming_problem(msg(text="\udc80")) or "").startswith("text")
    assert (incoming_problem(msg(message_id="m\n")) or "").startswith("message_id")
