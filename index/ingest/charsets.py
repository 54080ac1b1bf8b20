"""Bytes to text the way browsers do it: a byte-order mark, then the charset the server or the
document declares, then UTF-8, then charset-normalizer's best guess."""

import codecs
import re

from index.errors import IngestError

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.-]+)""", re.IGNORECASE)
_XML = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.-]+)["']""", re.IGNORECASE)
# WHATWG Encoding: these labels mean windows-1252 on the web (its superset of Latin-1).
_WEB_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                "ascii": "cp1252", "iso8859-1": "cp1252", "l1": "cp1252"}


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML `<meta>` or an XML declaration names in the document's head."""
    head = data[:4096]
    found = _META.search(head) or _XML.search(head)
    return found.group(1).decode("ascii").lower() if found else None


def decode(data: bytes, where: str, declared: str | None = None, markup: bool = False) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text", where)
    for label in (declared, declared_charset(data) if markup else None):
        if label:
            try:
                return data.decode(_WEB_ALIASES.get(label.lower(), label))
            except (LookupError, UnicodeDecodeError):
                continue  # an unknown or wrong declaration: fall through to what the bytes say
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise IngestError(f"not UTF-8 text (byte {exc.start}) and no other charset fits", where) from exc
        return str(best)
