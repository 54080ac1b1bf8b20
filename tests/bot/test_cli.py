import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import REPO, SEED


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_ask_list_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    code, out, err = run(capsys, "--data-dir", data, "ingest", str(SEED), str(REPO / "samples"))
    assert code == 0 and "5 added" in out
    assert re.search(r"ingest: (\d+)/\1 chunks embedded \(100%\)", err)  # progress, also when not a terminal
    code, out, _ = run(capsys, "--data-dir", data, "ask", "What is the spending target?", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["answerable"] and "3.5" in answer["answer"]  # as the HTTP API names it
    assert set(answer) >= {"answer", "answerable", "citations", "answer_id", "question", "warnings"}
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
    code, _, err = run(capsys, "--data-dir", data, "ingest", str(SEED), str(bad))
    assert code == 1 and "unknown file type" in err and "--skip-errors" in err
    code, _, err = run(capsys, "--data-dir", data, "ask", " ")
    assert code == 1 and "empty" in err


def test_a_private_url_is_refused_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                web: tuple[str, dict[str, tuple[int, str, bytes]]]) -> None:
    data = str(tmp_path / "d")
    code, _, err = run(capsys, "--data-dir", data, "ingest", "http://169.254.169.254/latest/meta-data/")
    assert code == 1 and "169.254.169.254" in err and "--allow-private-hosts" in err
    base, routes = web
    routes["/ferry"] = (200, "text/plain", b"Ferry returns\n\nThe harbour ferry returned on Monday after repairs.")
    code, _, err = run(capsys, "--data-dir", data, "ingest", base + "/ferry")
    assert code == 1 and "127.0.0.1" in err
    code, out, _ = run(capsys, "--data-dir", data, "ingest", "--allow-private-hosts", base + "/ferry")
    assert code == 0 and "1 added" in out


def test_console_script_says_when_the_store_is_empty(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--data-dir", str(tmp_path / "typo"), "ask",
                             "Anything?"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 1 and "holds no articles" in result.stderr and "newsbot ingest" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    subprocess.run([sys.executable, "-m", "bot.cli", "--data-dir", data, "ingest", str(SEED)], check=True,
                   capture_output=True, cwd=REPO, timeout=120)
    ask = subprocess.Popen([sys.executable, "-m", "bot.cli", "--data-dir", data, "ask", "--json",
                            "What is the spending target?"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert ask.stdout is not None and ask.stderr is not None
    ask.stdout.close()  # as `| head -0` does: the reader is gone before the answer is written
    err = ask.stderr.read().decode()
    assert ask.wait(timeout=120) == 1 and err == ""


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "ferry?", "--after", "someday"], "published_after: cannot read 'someday' as a date"),
    (["ingest", "ftp://example.org/a.html"], "only http:// and https://"),
])
def test_bad_arguments_get_one_clear_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              args: list[str], message: str) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_llm_answerer_without_a_provider_names_the_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_ANSWERER", "llm")
    monkeypatch.delenv("NEWSBOT_LLM__PROVIDER", raising=False)
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "ask", "Anything?")
    assert code == 2 and "NEWSBOT_LLM__PROVIDER" in err and "pydantic" not in err and len(err.splitlines()) == 1


def test_interrupted_ingest_exits_130_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core import Bot

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises in the main thread mid-ingest

    monkeypatch.setattr(Bot, "ingest", interrupted)
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "ingest", str(SEED))
    assert code == 130 and "interrupted" in err and len(err.splitlines()) == 1


def test_ctrl_c_to_the_process_group_mid_embedding_is_one_line_and_leaves_no_child(tmp_path: Path) -> None:
    """Ctrl-C in a terminal reaches the embedder's child processes too: they neither print nor linger."""
    import os
    import signal
    import time

    articles = [{"title": f"Report {n}", "text": " ".join(f"Sentence {i} of report {n} on the harbour." for i in
                                                          range(400))} for n in range(6)]
    source = tmp_path / "many.json"
    source.write_text(json.dumps(articles), encoding="utf-8")
    newsbot = str(Path(sys.executable).parent / "newsbot")
    cli = subprocess.Popen([newsbot, "--data-dir", str(tmp_path / "d"), "ingest", str(source)],
                           stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not children_of(cli.pid) and time.monotonic() < deadline:  # embedding has begun
        time.sleep(0.1)
    children = children_of(cli.pid)
    assert children
    time.sleep(1.0)
    os.killpg(cli.pid, signal.SIGINT)
    _, err = cli.communicate(timeout=60)
    assert cli.returncode == 130 and err.strip().splitlines() == ["newsbot: interrupted (articles written so far are "
                                                                  "kept whole)"], err[-500:]
    time.sleep(1.0)
    assert not [c for c in children if running(c)]


def running(pid: int) -> bool:
    """Still there and not a zombie (an exited child that an init without reaping keeps listed)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found
