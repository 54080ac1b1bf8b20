"""Text normalisation and removal of recognisable page furniture."""

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANKS = re.compile(r"\n{3,}")
_BULLET = re.compile(r"^(?:[•▪◦‣·*]|-(?= ))\s*")
_DATELINE = re.compile(r"^(?:[A-Z][\w.'’ -]{0,40} )?CNN(?: Business| Politics)? —\s*")
_PHOTO_CREDIT = re.compile(
    r"(?:(?:/|\b)(?:Getty Images|AP|AFP|Reuters|REUTERS)|\(AP Photo/[^)]*\)|REUTERS/[\w .'-]+|"
    r"\b(?:Shutterstock|EPA-EFE|Bloomberg)(?:/[\w ]+)?)\s*$"
)
_FURNITURE = re.compile(
    r"^(?:Video Ad Feedback\b|Download on the App Store|Get it on Google Play|Advertisement$|"
    r"(?:Editor[’']s Note: )?Sign up for\b.*\bnewsletter|Get CNN\b.*\bnewsletter|"
    r"This story has been updated\b|Share this article$|Read more:?$)",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$", re.IGNORECASE)


def normalise_text(text: str) -> str:
    """NFC, one kind of space, no trailing blanks, at most one empty line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufeff", "").replace("\u00ad", "")
    lines = [_BULLET.sub("", _SPACES.sub(" ", line).strip()) for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def is_furniture(line: str) -> bool:
    """A line that belongs to the page around the article, not the article."""
    if _FURNITURE.search(line):
        return True
    # Photo captions end in a credit; real sentences almost never do.
    return len(line) < 1000 and bool(_PHOTO_CREDIT.search(line))


def looks_like_domain(line: str) -> bool:
    return bool(_DOMAIN.match(line.strip()))


def strip_furniture(text: str) -> str:
    """Drop furniture lines and datelines, keep paragraphs."""
    kept: list[str] = []
    for line in normalise_text(text).split("\n"):
        line = _DATELINE.sub("", line)
        if line and is_furniture(line):
            continue
        kept.append(line)
    return _BLANKS.sub("\n\n", "\n".join(kept)).strip()


def html_to_text(html: str) -> str:
    """Main text of an HTML page, boilerplate removed, paragraphs kept."""
    import trafilatura  # heavy (lxml); only HTML needs it

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    if not text and html.strip():
        # Fragments (a feed summary, an "html" field) are too small for boilerplate detection.
        import lxml.html

        try:
            text = lxml.html.fromstring(html).text_content()
        except (ValueError, lxml.etree.ParserError):
            text = ""
    return normalise_text(text or "")


def html_metadata(html: str) -> dict[str, str | None]:
    """Title, date, url and site name from the page's own metadata."""
    import trafilatura

    meta = trafilatura.extract_metadata(html)
    if meta is None:
        return {}
    return {"title": meta.title, "published": meta.date, "url": meta.url, "source": meta.sitename}
