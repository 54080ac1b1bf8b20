import base64
import hashlib
import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot import Bot
from bot.server import create_app
from bot.server.observe import JSONFormatter
from bot.server.security import RateLimiter
from bot.settings import ScopedKey


@pytest.fixture(scope="module")
def keyed(app_bot: Bot) -> TestClient:
    settings = app_bot.settings.model_copy(update={
        "api_keys": [SecretStr("key-one"), SecretStr("key-two")], "rate_limit_per_minute": 60,
        "rate_limit_burst": 3, "cors_origins": ["https://news.example"]})
    keyed_bot = Bot(settings=settings)
    return TestClient(create_app(bot=keyed_bot))


def test_api_keys_guard_v1_only(keyed: TestClient) -> None:
    r = keyed.post("/v1/chat", json={"message": "What is the spending target?"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and "API key" in r.json()["detail"]
    bad = keyed.get("/v1/articles", headers={"Authorization": "Bearer key-three"})
    assert bad.status_code == 401
    ok = keyed.get("/v1/articles", headers={"Authorization": "Bearer key-one"})
    assert ok.status_code == 200
    assert keyed.get("/healthz").status_code == 200 and keyed.get("/").status_code == 200


def test_rate_limit_is_per_key_with_retry_after(keyed: TestClient) -> None:
    two = {"Authorization": "Bearer key-two"}
    codes = [keyed.get("/v1/articles", headers=two).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = keyed.get("/v1/articles", headers=two)
    assert int(limited.headers["retry-after"]) >= 1 and "rate limit" in limited.json()["detail"]


def test_token_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.take("k") == 0 and limiter.take("k") == 0
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] = 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.take("k") == 0 and limiter.take("other") == 0
    assert RateLimiter(per_minute=0, burst=1).take("k") == 0


def test_cors_preflight_allows_the_configured_origin_only(keyed: TestClient) -> None:
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    ok = keyed.options("/v1/chat", headers={"Origin": "https://news.example", **asked})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://news.example"
    other = keyed.options("/v1/chat", headers={"Origin": "https://evil.example", **asked})
    assert "access-control-allow-origin" not in other.headers


def test_request_ids_are_returned_and_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="newsbot.http"):
        given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "bad id with spaces"
    lines = [json.loads(JSONFormatter().format(r)) for r in caplog.records if r.name == "newsbot.http"]
    assert lines[0]["request_id"] == "abc-123" and lines[0]["status"] == 200 and lines[0]["route"] == "/healthz"
    assert lines[0]["msg"] == "request" and lines[0]["level"] == "info" and "duration_ms" in lines[0]


def test_metrics_count_routes_answers_refusals_and_ingests(client: TestClient) -> None:
    client.post("/v1/chat", json={"message": "What is the spending target?"})
    client.post("/v1/chat", json={"message": "Who won the 1966 World Cup final?"})
    client.post("/v1/chat", json={"message": "Which city hosts the summit, and when?"})  # not asked before
    client.post("/v1/articles", json={"title": "Ferry", "text": "A ferry line opened in Port Elm on Monday."})
    text = client.get("/metrics").text
    values = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line and not line.startswith("#")}
    assert values["newsbot_answers_total"] >= 2 and values["newsbot_refusals_total"] >= 1
    assert values['newsbot_articles_ingested_total{outcome="added"}'] >= 1
    assert values["newsbot_question_batch_size_count"] >= 1 and values["newsbot_question_batch_size_sum"] >= 1
    assert values['newsbot_http_requests_total{method="POST",route="/v1/chat",status="200"}'] >= 2
    assert values['newsbot_http_request_duration_seconds_count{method="POST",route="/v1/chat"}'] >= 2


def test_an_unhandled_error_is_a_500_with_the_request_id_and_no_internals(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    bot = Bot(data_dir=str(tmp_path))

    def broken() -> list[object]:
        raise RuntimeError("disk on fire: /secret/path")  # a failure nothing in the app expects

    monkeypatch.setattr(bot, "articles", broken)
    client = TestClient(create_app(bot=bot), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="newsbot.http"):
        r = client.get("/v1/articles", headers={"X-Request-ID": "probe-1234"})
    assert r.status_code == 500 and r.headers["x-request-id"] == "probe-1234"
    assert "probe-1234" in r.json()["detail"] and "secret" not in r.text
    assert any("disk on fire" in (rec.exc_text or "") for rec in caplog.records)  # the traceback is logged


def test_conversations_belong_to_the_key_that_made_them(app_bot: Bot) -> None:
    settings = app_bot.settings.model_copy(update={
        "api_keys": [SecretStr("key-one"), SecretStr("key-two")], "rate_limit_per_minute": 0})
    owned_bot = Bot(settings=settings)
    client = TestClient(create_app(bot=owned_bot))
    one, two = {"Authorization": "Bearer key-one"}, {"Authorization": "Bearer key-two"}
    made = client.post("/v1/chat", json={"message": "Who attends the NATO summit?"}, headers=one).json()
    cid = made["conversation_id"]
    assert client.get(f"/v1/conversations/{cid}", headers=one).status_code == 200
    other = client.get(f"/v1/conversations/{cid}", headers=two)
    assert other.status_code == 404 and "no conversation" in other.json()["detail"]  # as if it did not exist
    follow = {"message": "And when does it start?", "conversation_id": cid}
    assert client.post("/v1/chat", json=follow, headers=two).status_code == 404
    assert client.post("/v1/chat", json={**follow, "stream": True}, headers=two).status_code == 404
    assert client.post("/v1/chat", json=follow, headers=one).status_code == 200
    turns = client.get(f"/v1/conversations/{cid}", headers=one).json()["turns"]
    assert len(turns) == 2  # key-two's attempts added nothing

    # Slack's threads (and the webhook's) are not readable or continued through any key.
    slack_id = "slack:T1:C1:1717.0001"
    owned_bot.ask("What is the spending target?", conversation_id=slack_id, owner="slack")
    assert client.get(f"/v1/conversations/{slack_id}", headers=one).status_code == 404
    assert client.post("/v1/chat", json={"message": "And by when?", "conversation_id": slack_id},
                       headers=one).status_code == 404
    assert len(owned_bot.conversation(slack_id).turns) == 1  # type: ignore[union-attr]


def test_without_keys_every_caller_is_the_same_but_slack_stays_apart(app_bot: Bot) -> None:
    client = TestClient(create_app(bot=app_bot))
    cid = client.post("/v1/chat", json={"message": "Who attends the NATO summit?"}).json()["conversation_id"]
    assert client.get(f"/v1/conversations/{cid}").status_code == 200
    app_bot.ask("What is the spending target?", conversation_id="slack:T9:C9:1.2", owner="slack")
    assert client.get("/v1/conversations/slack:T9:C9:1.2").status_code == 404


def upload(client: TestClient, **headers: str) -> int:
    text = b"Summit moved\n\nThe summit was moved to the moon, officials said."
    files = [("files", ("planted.txt", text, "text/plain"))]
    return client.post("/v1/articles", files=files, headers=headers).status_code


def test_cross_site_writes_are_refused_without_keys(tmp_path: Path) -> None:
    bot = Bot(data_dir=tmp_path)
    client = TestClient(create_app(bot=bot))
    # What a page on another site can send with fetch(..., {mode: "no-cors"}) or a form.
    assert upload(client, Origin="https://evil.example") == 403
    assert upload(client, **{"Sec-Fetch-Site": "cross-site"}) == 403
    assert upload(client, Origin="null") == 403
    r = client.post("/v1/chat", json={"message": "hi"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-site" in r.json()["detail"]
    assert client.delete("/v1/articles/x", headers={"Origin": "https://evil.example"}).status_code == 403
    assert bot.articles() == []
    # Its own page (same origin), programs (no Origin) and reads go through.
    assert upload(client, Origin="http://testserver", **{"Sec-Fetch-Site": "same-origin"}) == 200
    assert client.get("/v1/articles", headers={"Origin": "https://evil.example"}).status_code == 200
    assert upload(client) == 200


def test_a_listed_cors_origin_may_write(keyed: TestClient) -> None:
    r = keyed.post("/v1/chat", json={"message": "What is the spending target?"},
                   headers={"Origin": "https://news.example", "Sec-Fetch-Site": "cross-site",
                            "Authorization": "Bearer key-one"})
    assert r.status_code == 200


def test_hosts_outside_the_allowed_list_get_400(app_bot: Bot) -> None:
    settings = app_bot.settings.model_copy(update={"allowed_hosts": ["127.0.0.1", "localhost", "::1"]})
    client = TestClient(create_app(settings=settings, bot=Bot(settings=settings)))
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 200
    rebound = client.get("/v1/articles", headers={"Host": "rebind.evil.example:8000"})
    assert rebound.status_code == 400 and "NEWSBOT_ALLOWED_HOSTS" in rebound.json()["detail"]


def test_security_headers_and_a_page_policy_without_inline_code(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/v1/articles"), client.get("/")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer" and response.headers["x-frame-options"] == "DENY"
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy
    for kind in ("script", "style"):
        body = re.search(rf"<{kind}>(.*?)</{kind}>", page.text, re.DOTALL)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in policy


@pytest.fixture(scope="module")
def scoped(app_bot: Bot) -> TestClient:
    settings = app_bot.settings.model_copy(update={
        "api_keys": [ScopedKey(key=SecretStr("asker"), scopes=["ask"]),
                     ScopedKey(key=SecretStr("other-asker"), scopes=["ask"]),
                     ScopedKey(key=SecretStr("feeder"), scopes=["ingest"]),
                     ScopedKey(key=SecretStr("boss"), scopes=["admin", "ask"]), SecretStr("legacy")],
        "rate_limit_per_minute": 0, "metrics_key": SecretStr("scraper")})
    return TestClient(create_app(bot=Bot(settings=settings)))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_scopes_decide_who_asks_adds_and_deletes(scoped: TestClient) -> None:
    article = {"title": "Ferry returns", "text": "The harbour ferry returned on Monday after repairs."}
    refused = scoped.post("/v1/articles", json=article, headers=bearer("asker"))
    assert refused.status_code == 403 and "'ingest' scope" in refused.json()["detail"]
    assert scoped.post("/v1/articles", json=article, headers=bearer("feeder")).status_code == 200
    assert scoped.post("/v1/chat", json={"message": "When did the ferry return?"},
                       headers=bearer("feeder")).status_code == 403
    listed = scoped.get("/v1/articles", headers=bearer("asker")).json()["items"]
    ferry = next(a["id"] for a in listed if a["title"] == "Ferry returns")
    for key in ("asker", "feeder"):
        assert scoped.delete(f"/v1/articles/{ferry}", headers=bearer(key)).status_code == 403
    assert scoped.delete(f"/v1/articles/{ferry}", headers=bearer("boss")).status_code == 204
    # a key given without scopes keeps full access, as before scopes
    assert scoped.post("/v1/articles", json=article, headers=bearer("legacy")).status_code == 200
    assert scoped.delete(f"/v1/articles/{ferry}", headers=bearer("legacy")).status_code == 204


def test_feedback_only_on_ones_own_answers_unless_admin(scoped: TestClient) -> None:
    answer = scoped.post("/v1/chat", json={"message": "What is the spending target?"}, headers=bearer("asker")).json()
    vote = {"answer_id": answer["answer_id"], "value": 1}
    assert scoped.post("/v1/feedback", json=vote, headers=bearer("other-asker")).status_code == 404
    assert scoped.post("/v1/feedback", json=vote, headers=bearer("asker")).status_code == 201
    assert scoped.post("/v1/feedback", json=vote, headers=bearer("boss")).status_code == 201


def test_metrics_can_be_kept_to_its_own_key_or_an_admin(scoped: TestClient) -> None:
    assert scoped.get("/metrics").status_code == 401
    assert scoped.get("/metrics", headers=bearer("asker")).status_code == 401
    assert scoped.get("/metrics", headers=bearer("scraper")).status_code == 200
    assert "newsbot" in scoped.get("/metrics", headers=bearer("boss")).text


def test_a_scoped_key_needs_at_least_one_known_scope() -> None:
    with pytest.raises(ValueError):
        ScopedKey(key=SecretStr("k"), scopes=[])
    with pytest.raises(ValueError):
        ScopedKey(key=SecretStr("k"), scopes=["root"])  # type: ignore[list-item]
