import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO, SEED


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_ask_list_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    code, out, _ = run(capsys, "--data-dir", data, "ingest", str(SEED), str(REPO / "samples"))
    assert code == 0 and "5 added" in out
    code, out, _ = run(capsys, "--data-dir", data, "ask", "What is the spending target?", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["answerable"] and "3.5" in answer["text"]
    code, out, _ = run(capsys, "--data-dir", data, "articles", "list")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 5
    article_id = lines[0].split("\t")[0]
    assert run(capsys, "--data-dir", data, "articles", "delete", article_id)[0] == 0
    code, _, err = run(capsys, "--data-dir", data, "articles", "delete", article_id)
    assert code == 1 and "no article" in err


def test_errors_exit_non_zero_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF")
    code, _, err = run(capsys, "--data-dir", data, "ingest", str(bad))
    assert code == 1 and "unknown file type" in err
    code, _, err = run(capsys, "--data-dir", data, "ask", " ")
    assert code == 1 and "empty" in err


def test_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--data-dir", str(tmp_path), "ask", "Anything?"],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0 and "don't say" in result.stdout
