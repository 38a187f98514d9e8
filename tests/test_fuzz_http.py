"""No input gives a 5xx: generated requests against every route of a running server, on SQLite and PostgreSQL.

The server is the real app (all three platform channels configured as in
tests/channels/conftest.py, replies going to the fake platform APIs) on 127.0.0.1;
requests are written byte for byte on a socket, so header values that are not
UTF-8, raw bytes in the query and wrong content types arrive as an attacker would
send them. Hypothesis generates methods, headers, query strings and bodies (random
bytes, nested and deep JSON, huge numbers, wrong types, XML, NUL and lone
surrogates), and also genuinely signed or encrypted callbacks — and authorized API
calls — with hostile values inside. Every answer must be below 500, and nothing may
be logged at ERROR (an answer task that crashed after the acknowledgement logs one).
Derandomized with bounded examples so it runs the same in CI, in about a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.support import dingtalk_peer, feishu_peer, wecom_peer
from bot.app import OrgBot
from bot.channels import dingtalk, feishu, wecom
from bot.console.site import PREFIX, page_routes
from tests.channels.conftest import APP_AES_KEY, BOT_AES_KEY, fake, settle  # noqa: F401  (fake is a fixture)

TOKEN = "test-token"
ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/"),
    ("POST", "/api/v1/chat"),
    ("GET", "/api/v1/inbox"),
    ("GET", "/callback/wecom"),
    ("POST", "/callback/wecom"),
    ("GET", "/callback/wecom/bot"),
    ("POST", "/callback/wecom/bot"),
    ("POST", "/callback/dingtalk"),
    ("POST", "/callback/feishu"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/web/chat"),
    ("POST", "/web/inbox"),
    ("GET", "/metrics"),
}
# The admin console: every page module's routes under /admin/, its login hint and its assets.
CONSOLE_ROUTES = {
    ("GET", "/admin/login"),
    ("GET", "/admin/static"),
    *((r.method, PREFIX + re.sub(r"\{(\w+):[^}]*\}", r"{\1}", r.path)) for r in page_routes()),
}
ROUTES |= CONSOLE_ROUTES
# Concrete values for the console's path parameters, so a request reaches the page's guard.
PATH_VALUES = {"{id}": "1", "{op}": "pause", "{kind}": "cadres"}


# ORGBOT_FUZZ_SCALE=20 explores twenty times as many examples (same seed), for a longer run by hand.
SCALE = float(os.environ.get("ORGBOT_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


# --- the running server --------------------------------------------------------------------


@dataclass
class Server:
    bot: OrgBot
    host: str
    port: int
    loop: asyncio.AbstractEventLoop
    errors: list[logging.LogRecord] = field(default_factory=list)


class _Errors(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if record.name == "aiohttp.server" and isinstance(exc, HttpProcessingError) and exc.code < 500:
            return  # aiohttp's own parser answered a malformed request with a 4xx (and logs it loudly)
        self.sink.append(record)


@pytest.fixture
async def server(make_bot, config_for, db_url, fake) -> AsyncIterator[Server]:  # noqa: F811
    env = {
        **wecom_peer.wecom_env(fake.url),
        **dingtalk_peer.dingtalk_env(fake.url),
        **feishu_peer.feishu_env(fake.url),
        # The token may speak for anyone here, so the fuzz reaches past the act_as check.
        "ORGBOT_API_ACT_AS": "*",
    }
    config = config_for(db_url, **env)
    channels = [module.from_config(config) for module in (wecom, dingtalk, feishu)]
    bot = await make_bot(channels=channels, **env)
    test_server = TestServer(bot.web_app(), host="127.0.0.1")
    await test_server.start_server()
    found = Server(bot, "127.0.0.1", test_server.port or 0, asyncio.get_running_loop())
    handler = _Errors(found.errors)
    logging.getLogger().addHandler(handler)
    try:
        yield found
    finally:
        logging.getLogger().removeHandler(handler)
        await settle(bot)
        await test_server.close()


# --- requests as bytes on a socket -----------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""

    def wire(self) -> bytes:
        target = self.path.encode() + (b"?" + self.query if self.query else b"")
        lines = [self.method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
        lines += [name + b": " + value for name, value in self.headers]
        lines.append(b"Content-Length: " + str(len(self.body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


RESET = 0


async def send(server: Server, request: Request) -> int:
    """The status code, or RESET when the server dropped a malformed request before we read its 400.

    aiohttp answers an unparseable request (say, a NUL in a header) with 400 and closes at
    once; the body we are still sending then makes the kernel reset the connection, which
    can discard that 400 before we read it.
    """
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(request.wire())
        await writer.drain()
        head = await asyncio.wait_for(reader.readline(), timeout=60)
        await asyncio.wait_for(reader.read(), timeout=60)
    except (ConnectionResetError, BrokenPipeError):
        return RESET
    finally:
        writer.close()
    parts = head.split()
    assert len(parts) >= 2 and parts[0].startswith(b"HTTP/1."), f"no HTTP answer to {request!r}: {head!r}"
    return int(parts[1])


def check_all(server: Server, strategy: st.SearchStrategy[Callable[[], Request]], examples: int) -> Counter[int]:
    """Run in a worker thread: hypothesis drives, the server keeps running on the test's event loop.

    Returns how often each status came back, so a test can show its requests got past the door.
    """
    seen: Counter[int] = Counter()

    def on_loop(coro: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, server.loop).result(timeout)

    @fuzz_settings(examples)
    @given(strategy)
    def one(make: Callable[[], Request]) -> None:
        request = make()
        server.errors.clear()
        status = on_loop(send(server, request))
        on_loop(settle(server.bot))
        seen[status] += 1
        assert status < 500, f"{status} for {request!r}"
        if status == RESET:
            assert on_loop(send(server, Request("GET", "/healthz"))) == 200, f"reset by {request!r}"
        assert not server.errors, [(r.getMessage(), r.exc_info) for r in server.errors]

    one()
    return seen


# --- hostile pieces ------------------------------------------------------------------------

NASTY_TEXT = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ud83d\ude00",
    "\n\r\t",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "%00",
    "'; DROP TABLE staff; --",
    "<script>alert(1)</script>",
    "/帮助",
    "/查询 G0001",
    "张三",
    "x" * 300,
    "",
    " ",
]
any_text = st.sampled_from(NASTY_TEXT) | st.text(
    st.characters(exclude_categories=(), include_characters=["\x00", "\ud800"]), max_size=40
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**18, max_value=10**300)
    | st.floats()
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=12,
)


def dumps(value: Any) -> str:
    """JSON text as a peer could send it: lone surrogates as \\ud800 escapes, NaN/Infinity as bare words."""
    return json.dumps(value, ensure_ascii=True)


# Raw JSON text for one value: what json.dumps would not produce on its own.
# Nesting depths around the parser's limit and json.loads's recursion limit, and far beyond.
depths = st.sampled_from([33, 999, 1200, 5000, 100_000]) | st.integers(min_value=20, max_value=3000)
json_fragments = st.one_of(
    st.sampled_from(['"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"x\\udfffy"', '"\\udc80\\u0000"']),
    st.sampled_from(NASTY_TEXT).map(dumps),
    json_values.map(dumps),
    depths.map(lambda n: "[" * n + "]" * n),
    depths.map(lambda n: '{"a":' * n + "1" + "}" * n),
    depths.map(lambda n: "[" * n),
    st.integers(min_value=20, max_value=6000).map(lambda n: "9" * n),
    st.sampled_from(
        ["NaN", "-Infinity", "1e999", '"\\u0000"', '"\\ud800"', '"a\\udc00b"', '"\\ud800\\udc00"', "{}", "[]"]
    ),
)
xml_texts = st.one_of(
    any_text.map(lambda s: s.replace("]]>", "")).map(lambda s: f"<![CDATA[{s}]]>"),
    st.sampled_from(
        [
            "&#0;",
            "&#xD800;",
            "&lt;&amp;&gt;",
            "&bogus;",
            "<a><b>x</b></a>",
            "<!-- c -->",
            "]]>",
            "x" * 300,
            "",
        ]
    ),
)
XML_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Encrypt>&c;</Encrypt></xml>'
)
XML_EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>'
)

random_bodies = st.one_of(
    st.binary(max_size=400),
    json_fragments.map(str.encode),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.dictionaries(
        st.sampled_from(["user_id", "chat_id", "text", "chat_type", "encrypt", "type", "challenge"]), json_values
    ).map(lambda d: dumps(d).encode()),
    xml_texts.map(
        lambda s: f"<xml><Encrypt>{s}</Encrypt><MsgType>text</MsgType></xml>".encode("utf-8", "surrogatepass")
    ),
    st.sampled_from(
        [XML_BOMB.encode(), XML_EXTERNAL.encode(), b'{"type":"url_verification","challenge":"c","token":"x"}']
    ),
)

# Bytes a header value may carry on the wire (no controls; 0x80-0xff is obs-text, often not UTF-8).
wire_header_bytes = st.binary(max_size=40).map(lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F))
header_values = st.one_of(
    wire_header_bytes,
    wire_header_bytes.map(lambda b: b"Bearer " + b),
    st.binary(max_size=40).map(lambda b: bytes(c for c in b if c not in b"\r\n")),
    any_text.map(lambda s: s.encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from(
        [
            b"Bearer " + TOKEN.encode(),
            b"Bearer \xff\xfe",
            b"Bearer " + "令牌".encode(),
            b"application/json; charset=x-unknown",
        ]
    ),
)
header_names = st.sampled_from(
    [
        b"Authorization",
        b"Content-Type",
        b"X-Orgbot-Client",
        b"X-Request-Id",
        b"X-Lark-Signature",
        b"X-Lark-Request-Timestamp",
        b"X-Lark-Request-Nonce",
        b"timestamp",
        b"sign",
        b"Accept-Charset",
        b"X-Forwarded-For",
    ]
)
content_types = st.sampled_from(
    [
        b"application/json",
        b"application/json; charset=utf-8",
        b"application/json; charset=utf-16",
        b"application/json; charset=no-such-charset",
        b"text/xml",
        b"multipart/form-data; boundary=x",
        b"application/x-www-form-urlencoded",
    ]
)


def pct(value: str) -> bytes:
    return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="").encode()


query_values = st.one_of(
    any_text.map(pct),
    st.binary(max_size=20).map(lambda b: quote_from_bytes(b, safe="").encode()),
    st.sampled_from(
        [b"%", b"%ZZ", b"%ED%A0%80", b"%FF", b"%00", b"\xff", b"a+b", b"=", b"&&", b"1e3", b"-1", b"9" * 400]
    ),
)
query_keys = st.sampled_from([b"msg_signature", b"timestamp", b"nonce", b"echostr", b"user_id", b"x", b"user_id[]"])
queries = st.lists(st.tuples(query_keys, query_values), max_size=5).map(
    lambda pairs: b"&".join(k + b"=" + v for k, v in pairs)
)


# The headers each route reads, so that hostile values reach the code that reads them.
ROUTE_HEADERS = {
    "/api/v1/chat": [b"Authorization", b"X-Orgbot-Client"],
    "/api/v1/inbox": [b"Authorization"],
    "/callback/dingtalk": [b"timestamp", b"sign"],
    "/callback/feishu": [b"X-Lark-Signature", b"X-Lark-Request-Timestamp", b"X-Lark-Request-Nonce"],
    "/login": [b"Cookie", b"Origin", b"Sec-Fetch-Site"],
    "/logout": [b"Cookie", b"Origin", b"Sec-Fetch-Site", b"X-CSRF-Token"],
    "/web/chat": [b"Cookie", b"Origin", b"Sec-Fetch-Site", b"X-CSRF-Token"],
    "/web/inbox": [b"Cookie", b"Origin", b"Sec-Fetch-Site", b"X-CSRF-Token"],
    "/metrics": [b"Authorization", b"X-Forwarded-For"],
    **{path: [b"Cookie", b"Origin", b"Sec-Fetch-Site", b"X-CSRF-Token"] for _, path in CONSOLE_ROUTES},
}


@st.composite
def unsigned_requests(draw: st.DrawFn) -> Callable[[], Request]:
    method, path = draw(st.sampled_from(sorted(ROUTES)))
    method = draw(st.sampled_from([method, method, method, "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
    names = ROUTE_HEADERS.get(path, []) + draw(st.lists(header_names, max_size=3))
    headers = [(name, draw(header_values)) for name in names if draw(st.booleans())]
    if draw(st.booleans()):
        headers.append((b"Authorization", b"Bearer " + TOKEN.encode()))
    if draw(st.booleans()):
        headers.append((b"Content-Type", draw(content_types)))
    query = draw(queries)
    if path.startswith("/callback/wecom") and draw(st.booleans()):
        # Past the "parameters present" check, so the body and the signature check are reached too.
        keys = [b"msg_signature", b"timestamp", b"nonce", b"echostr"]
        query = b"&".join(k + b"=" + draw(query_values.filter(bool)) for k in keys) + b"&" + query
    body = b"" if method in ("GET", "HEAD") and draw(st.booleans()) else draw(random_bodies)
    for name, value in PATH_VALUES.items():
        path = path.replace(name, value)
    if path == "/admin/static":
        path += "/console.css"
    request = Request(method, path, query, tuple(headers), body)
    return lambda: request


# --- genuinely signed / authorized requests with hostile payloads -----------------------------

HOSTILE = "@@hostile{}@@"


def with_hostile(template: dict[str, Any], paths: list[tuple[str, ...]], fragments: list[str]) -> str:
    """JSON text of ``template`` with the value at each path replaced by a raw JSON fragment."""
    data = json.loads(json.dumps(template))
    for i, path in enumerate(paths):
        node = data
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = HOSTILE.format(i)
    text = dumps(data)
    for i, fragment in enumerate(fragments):
        text = text.replace(json.dumps(HOSTILE.format(i)), fragment)
    return text


def hostile_json(template: dict[str, Any], paths: list[tuple[str, ...]]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True).flatmap(
        lambda chosen: st.lists(json_fragments, min_size=len(chosen), max_size=len(chosen)).map(
            lambda fragments: with_hostile(template, chosen, fragments)
        )
    )


def fresh_ids(text: str) -> str:
    """Each request gets new message ids, so the dedupe claim lets it reach the handlers."""
    return text.replace("@@id@@", uuid.uuid4().hex[:16])


CHAT_PATHS = [("user_id",), ("chat_id",), ("text",), ("chat_type",)]
CHAT_TEMPLATE = {"user_id": "zhangsan", "chat_id": "dm:zhangsan", "text": "请问入党需要多久", "chat_type": "private"}


@st.composite
def api_requests(draw: st.DrawFn) -> Callable[[], Request]:
    auth = [(b"Authorization", b"Bearer " + TOKEN.encode()), (b"Content-Type", b"application/json")]
    if draw(st.booleans()):
        auth.append((b"X-Orgbot-Client", b"web"))
    if draw(st.integers(0, 3)) == 0:
        inbox = Request("GET", "/api/v1/inbox", b"user_id=" + draw(query_values), tuple(auth))
        return lambda: inbox
    body = draw(hostile_json(CHAT_TEMPLATE, CHAT_PATHS) | st.builds(lambda v: dumps(v), json_values))
    return lambda: Request("POST", "/api/v1/chat", b"", tuple(auth), body.encode())


DINGTALK_PATHS = [
    ("msgId",),
    ("senderStaffId",),
    ("senderId",),
    ("conversationId",),
    ("conversationType",),
    ("senderNick",),
    ("msgtype",),
    ("text",),
    ("text", "content"),
    ("content",),
    ("content", "richText"),
    ("content", "recognition"),
    ("isInAtList",),
    ("sessionWebhookExpiredTime",),
    ("atUsers",),
]


@st.composite
def dingtalk_requests(draw: st.DrawFn) -> Callable[[], Request]:
    template = dingtalk_peer.robot_message("http://127.0.0.1:9", "你好", "@@id@@")
    template.pop("sessionWebhook")  # a reply URL is the platform's word; replies go through the OpenAPI fake
    template["conversationType"] = draw(st.sampled_from(["1", "2"]))
    body = draw(hostile_json(template, DINGTALK_PATHS))

    def make() -> Request:
        headers = tuple((k.encode(), v.encode()) for k, v in dingtalk_peer.signed_headers().items())
        return Request("POST", "/callback/dingtalk", b"", headers, fresh_ids(body).encode())

    return make


FEISHU_PATHS = [
    ("header", "event_id"),
    ("header", "event_type"),
    ("event",),
    ("event", "sender"),
    ("event", "sender", "sender_id"),
    ("event", "sender", "sender_id", "open_id"),
    ("event", "sender", "sender_id", "user_id"),
    ("event", "message"),
    ("event", "message", "message_id"),
    ("event", "message", "chat_id"),
    ("event", "message", "chat_type"),
    ("event", "message", "message_type"),
    ("event", "message", "content"),
    ("event", "message", "mentions"),
    ("type",),
    ("challenge",),
]


@st.composite
def feishu_requests(draw: st.DrawFn) -> Callable[[], Request]:
    template = feishu_peer.text_event("你好", "om_@@id@@", chat_type=draw(st.sampled_from(["p2p", "group"])))
    template["header"]["event_id"] = "@@id@@"
    if draw(st.booleans()):
        # The message content is itself JSON text, parsed again inside the answer task.
        template["event"]["message"]["content"] = '{"text": ' + draw(json_fragments) + "}"
    payload = draw(hostile_json(template, FEISHU_PATHS))

    def make() -> Request:
        body = json.dumps({"encrypt": feishu_peer.encrypt(feishu_peer.ENCRYPT_KEY, fresh_ids(payload))}).encode()
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        sig = hashlib.sha256((ts + nonce + feishu_peer.ENCRYPT_KEY).encode() + body).hexdigest()
        headers = (
            (b"X-Lark-Request-Timestamp", ts.encode()),
            (b"X-Lark-Request-Nonce", nonce.encode()),
            (b"X-Lark-Signature", sig.encode()),
            (b"Content-Type", b"application/json"),
        )
        return Request("POST", "/callback/feishu", b"", headers, body)

    return make


WECOM_BOT_PATHS = [
    ("msgid",),
    ("from",),
    ("from", "userid"),
    ("chattype",),
    ("chatid",),
    ("msgtype",),
    ("text",),
    ("text", "content"),
    ("voice", "content"),
    ("mixed", "msg_item"),
    ("stream",),
    ("stream", "id"),
]


def wecom_query(token: str, aes_key: str, receive_id: str, plain: str) -> tuple[bytes, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    # bytes: a lone surrogate goes out as the invalid UTF-8 a forger could encrypt
    encrypt = wecom_peer.encrypt_for(aes_key, plain.encode("utf-8", "surrogatepass"), receive_id)  # type: ignore[arg-type]
    signature = wecom_peer.sign(token, timestamp, nonce, encrypt)
    return f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}".encode(), encrypt


@st.composite
def wecom_bot_requests(draw: st.DrawFn) -> Callable[[], Request]:
    template = wecom_peer.aibot_text("你好", "@@id@@", "zhangsan", draw(st.sampled_from(["", "wrgroup1"])))
    payload = draw(hostile_json(template, WECOM_BOT_PATHS))

    def make() -> Request:
        query, encrypt = wecom_query(wecom_peer.BOT_TOKEN, BOT_AES_KEY, "", fresh_ids(payload))
        return Request("POST", "/callback/wecom/bot", query, (), json.dumps({"encrypt": encrypt}).encode())

    return make


@st.composite
def wecom_app_requests(draw: st.DrawFn) -> Callable[[], Request]:
    fields = {
        "FromUserName": draw(st.sampled_from(["<![CDATA[zhangsan]]>"]) | xml_texts),
        "MsgType": draw(st.sampled_from(["<![CDATA[text]]>", "<![CDATA[voice]]>", "<![CDATA[event]]>"]) | xml_texts),
        "Content": draw(xml_texts),
        "Recognition": draw(xml_texts),
        "MsgId": draw(st.sampled_from(["@@id@@"]) | xml_texts),
    }
    plain = "<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</xml>"
    plain = draw(st.sampled_from([plain, plain, plain, XML_BOMB, XML_EXTERNAL]) | any_text)

    def make() -> Request:
        query, encrypt = wecom_query(wecom_peer.APP_TOKEN, APP_AES_KEY, wecom_peer.CORP_ID, fresh_ids(plain))
        body = f"<xml><ToUserName>wwcorp</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
        return Request("POST", "/callback/wecom", query, (), body)

    return make


# --- the tests -----------------------------------------------------------------------------


async def test_every_route_is_covered_by_the_fuzz(server):
    app = server.bot.web_app()
    served = {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD" and r.resource}
    assert served == ROUTES


async def test_unsigned_garbage_on_every_route_never_gives_a_5xx(server):
    seen = await asyncio.to_thread(check_all, server, unsigned_requests(), 250)
    assert {200, 400, 401, 405} <= set(seen)


async def test_authorized_api_calls_with_hostile_bodies_never_give_a_5xx(server):
    seen = await asyncio.to_thread(check_all, server, api_requests(), 80)
    assert seen[200] and seen[400]  # some reached the handlers, some were refused


@pytest.mark.parametrize(
    "strategy", [dingtalk_requests, feishu_requests, wecom_bot_requests, wecom_app_requests], ids=lambda s: s.__name__
)
async def test_signed_callbacks_with_hostile_payloads_never_give_a_5xx_nor_crash_the_answer(server, strategy):
    seen = await asyncio.to_thread(check_all, server, strategy(), 60)
    assert seen[200] and seen[400]  # some were accepted and answered, some refused for what they carried


# --- the cases from the issue, as plain examples ---------------------------------------------


async def test_deep_json_without_a_signature_is_a_400_not_a_recursion_error(server):
    deep = b"[" * 100_000 + b"]" * 100_000
    for path, query in (("/callback/feishu", b""), ("/callback/wecom/bot", b"msg_signature=x&timestamp=1&nonce=n")):
        status = await send(server, Request("POST", path, query, ((b"Content-Type", b"application/json"),), deep))
        assert status == 400
    auth = ((b"Authorization", b"Bearer " + TOKEN.encode()),)
    assert await send(server, Request("POST", "/api/v1/chat", b"", auth, deep)) == 400
    assert not server.errors


@pytest.mark.parametrize("bad", ["a\\u0000b", "\\ud800", "x\\udfffy"])
@pytest.mark.parametrize("field", ["user_id", "chat_id", "text"])
async def test_nul_and_lone_surrogates_are_a_400_and_nothing_is_stored(server, bad, field):
    body = dict(CHAT_TEMPLATE)
    raw = dumps(body).replace(dumps(body[field]), f'"{bad}"')
    auth = ((b"Authorization", b"Bearer " + TOKEN.encode()), (b"Content-Type", b"application/json"))
    assert await send(server, Request("POST", "/api/v1/chat", b"", auth, raw.encode())) == 400
    from sqlalchemy import func, select

    from bot.storage.models import AuditEntry, ConversationState, InboundMessage

    async with server.bot.db() as session:
        for table in (InboundMessage, ConversationState, AuditEntry):
            assert await session.scalar(select(func.count()).select_from(table)) == 0
    assert not server.errors


async def test_an_unknown_charset_in_content_type_is_not_a_500(server):
    headers = ((b"Authorization", b"Bearer " + TOKEN.encode()), (b"Content-Type", b"application/json; charset=x-no"))
    body = dumps(CHAT_TEMPLATE).encode()
    assert await send(server, Request("POST", "/api/v1/chat", b"", headers, body)) == 200
    assert not server.errors


async def test_header_bytes_that_are_not_utf8_are_a_400(server):
    ding = dingtalk_peer.signed_headers()
    cases = [
        ("POST", "/api/v1/chat", ((b"Authorization", b"Bearer \xff"),)),
        ("GET", "/api/v1/inbox", ((b"Authorization", b"Bearer t\xe9st"),)),
        ("POST", "/callback/dingtalk", ((b"timestamp", ding["timestamp"].encode()), (b"sign", b"\xff=="))),
        ("POST", "/callback/dingtalk", ((b"timestamp", b"17\xff"), (b"sign", ding["sign"].encode()))),
        ("POST", "/callback/feishu", ((b"X-Lark-Signature", b"\xfe"), (b"X-Lark-Request-Timestamp", b"1"))),
        ("GET", "/healthz", ((b"X-Request-Id", b"\xc3\x28"),)),
    ]
    for method, path, headers in cases:
        assert await send(server, Request(method, path, b"", headers, b'{"encrypt": "x"}')) == 400, (path, headers)
    assert not server.errors


async def test_inbox_refuses_a_user_id_with_nul_or_control_characters(server):
    auth = ((b"Authorization", b"Bearer " + TOKEN.encode()),)
    for query in (b"user_id=a%00b", b"user_id=a%0Ab", b"user_id=" + b"u" * 129):
        assert await send(server, Request("GET", "/api/v1/inbox", query, auth)) == 400
    # Invalid UTF-8 in the query is decoded to U+FFFD by the URL parser: an unknown user with an empty inbox.
    assert await send(server, Request("GET", "/api/v1/inbox", b"user_id=%ED%A0%80", auth)) == 200
    assert not server.errors


async def test_a_signed_dingtalk_message_with_a_nul_in_the_sender_is_refused_before_the_ack(server):
    template = dingtalk_peer.robot_message("http://127.0.0.1:9", "你好", "msgNul")
    body = dumps(template).replace('"zhangsan"', '"zhang\\u0000san"').encode()
    headers = tuple((k.encode(), v.encode()) for k, v in dingtalk_peer.signed_headers().items())
    assert await send(server, Request("POST", "/callback/dingtalk", b"", headers, body)) == 400
    long_id = dumps(template).replace('"zhangsan"', json.dumps("z" * 500)).encode()
    assert await send(server, Request("POST", "/callback/dingtalk", b"", headers, long_id)) == 400
    await settle(server.bot)
    assert not server.errors
