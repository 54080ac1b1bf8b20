from pathlib import Path

import yaml

from bot.server.routes.slack import SLACK_PATHS
from tests.conftest import REPO


def test_manifest_points_at_our_routes_and_asks_for_what_we_use() -> None:
    manifest = yaml.safe_load(Path(REPO / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    settings = manifest["settings"]
    urls = [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
            manifest["features"]["slash_commands"][0]["url"]]
    assert {"/" + u.split("/", 3)[3] for u in urls} == set(SLACK_PATHS)
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "im:history", "commands"} <= scopes
    assert manifest["features"]["slash_commands"][0]["command"] == "/news"
