"""The CLI through a running server (`--url`): the server holds the store and its lock."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import Bot
from bot.cli.main import main
from tests.bot.server.conftest import serve_app
from tests.conftest import REPO, SEED


def test_cli_works_through_a_running_server(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.server import create_app

    data = tmp_path / "served"
    bot = Bot(data_dir=data)  # holds the store's lock, as `make run` does
    with serve_app(create_app(bot=bot)) as url:
        locked = subprocess.run([sys.executable, "-m", "bot.cli", "--data-dir", str(data), "articles", "list"],
                                capture_output=True, text=True, cwd=REPO, timeout=120)
        assert locked.returncode == 1 and "--url" in locked.stderr  # the lock error says how to go through

        assert main(["--url", url, "ingest", str(SEED), str(REPO / "samples")]) == 0
        out, _ = capsys.readouterr()
        written = re.search(r"5 added.*\((\d+) chunks written\)", out)
        assert written and int(written[1]) == bot.store.count() > 5  # what the server wrote, reported here
        monkeypatch.setenv("NEWSBOT_URL", url)  # the same, from the environment
        assert main(["ask", "What is the spending target?", "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer["answerable"] and "3.5" in answer["answer"] and answer["citations"]
        assert main(["articles", "list"]) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        assert len(lines) == 5 == len(bot.articles())
        article_id = lines[0].split("\t")[0]
        assert main(["articles", "delete", article_id]) == 0
        assert main(["articles", "delete", article_id]) == 1
        assert "no article" in capsys.readouterr().err
        assert len(bot.articles()) == 4


def test_remote_ingest_skips_a_bad_file_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.server import create_app

    bot = Bot(data_dir=tmp_path / "served")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Ferry returns\n\nThe harbour ferry returned on Monday.")
    (folder / "b.json").write_text("{not json")
    (folder / "c.txt").write_text("Bridge reopens\n\nThe old bridge reopened on Tuesday.")
    with serve_app(create_app(bot=bot)) as url:
        assert main(["--url", url, "ingest", str(folder)]) == 1
        assert "--skip-errors" in capsys.readouterr().err and bot.articles() == []  # nothing sent
        assert main(["--url", url, "ingest", "--skip-errors", str(folder)]) == 1
        out, err = capsys.readouterr()
        assert "2 added" in out and "1 failed" in out and "malformed JSON" in err
        assert sorted(a.title for a in bot.articles()) == ["Bridge reopens", "Ferry returns"]
