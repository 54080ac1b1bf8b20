"""Text normalisation and removal of recognisable page furniture."""

import re
import unicodedata

# Every kind of space but the newline (vertical tab, form feed, U+2028... included) becomes one
# space: the patterns below then never meet a run of blanks they could rescan at each position.
_SPACES = re.compile(r"(?:[^\S\n]|\u200b)+")
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
    r"This story has been updated\b|Share this article$|Read more:?$|Get the latest\b.{0,40}\bon the go\b|"
    r"This copy is for your personal,? non-commercial use\b)",
    re.IGNORECASE,
)
# Standing lines of news sites' pages, not of their articles: trust statements, letter forms,
# reader-service links. Written as kinds of lines, not as one site's wording.
_SITE_LINES = re.compile(
    r"^(?:Our Standards:|Submit (?:your|a) letter to the editor|Letters? to the editor:?$|"
    r"Send us (?:your feedback|an e-?mail)\b|"
    r"(?:Click|Tap) here to\b|Follow us on\b|Support (?:our|independent) journalism\b|"
    r"(?:Copyright|©)\s*(?:\d{4}|[A-Z])|All rights reserved\.?$|Read our \w+ policy\b)",
    re.IGNORECASE,
)
# A page label with its value ("Author Ben Knight", "Keywords wine, Ahr", "Permalink https://…",
# "Read more: <another story>"): short, and led by a label no article sentence starts with so.
_LABELLED = re.compile(
    r"^(?:Authors?|Keywords|Tags|Topics|Related (?:Subjects|Topics|Stories|Articles)|Permalink|"
    r"Print(?: this page)?|Feedback|Share(?: this)?|Watch video|Listen to (?:audio|this article)|"
    r"Read more|Also read|See also|More on this|Related)(?::\s*|\s+)(?=\S)",
)
# Page controls and labels: a line made only of these words is the page's chrome.
_UI_WORDS = frozenset([
    "advertisement", "author", "authors", "bookmark", "close", "comment", "comments", "copy", "date", "email",
    "facebook", "feedback", "follow", "keywords", "link", "linkedin", "listen", "menu", "more", "next",
    "permalink", "previous", "print", "read", "related", "reply", "save", "search", "share", "subscribe", "tags",
    "topics", "tweet", "twitter", "whatsapp", "x", "this", "digg", "reprints", "reprint", "order", "rss",
    "podcasts", "blogs", "mobile", "newsletters", "alerts", "apps",
])
# A row of navigation links: "RSS | Podcasts | Blogs | CNN Mobile | My Profile | E-mail Alerts".
_NAV_SEPARATOR = re.compile(r"\s[|•·]\s")
# A photo credit at the end of a caption or paragraph: "(Credit: Jane Doe / Grist)", "(Photo: AP)".
# Led by its parenthesis (not by blanks, which a search would rescan from every position) and bounded.
_CREDIT_TAIL = re.compile(r" ?\((?:Photo |Image )?(?:Credit|Photo|Image|Illustration)s?:[^()]{1,120}\) ?$",
                          re.IGNORECASE)
_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$", re.IGNORECASE)


def normalise_text(text: str) -> str:
    """NFC, one kind of space, no trailing blanks, at most one empty line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufeff", "").replace("\u00ad", "")
    lines = [_BULLET.sub("", _SPACES.sub(" ", line).strip()) for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def is_furniture(line: str) -> bool:
    """A line that belongs to the page around the article, not the article."""
    if _FURNITURE.search(line) or _SITE_LINES.search(line):
        return True
    if _LABELLED.match(line) and len(line.split()) <= 14 and not re.search(r"[.!?][\"”’]?$", line.split(":", 1)[0]):
        return True
    items = _NAV_SEPARATOR.split(line)
    if len(items) >= 4 and all(0 < len(item.split()) <= 3 for item in items) and not line.rstrip().endswith("."):
        return True
    words = re.findall(r"[a-z]+", line.lower())
    if words and len(words) <= 8 and all(w in _UI_WORDS for w in words) and not line.rstrip().endswith("."):
        return True
    # Photo captions end in a credit; real sentences almost never do.
    return len(line) < 1000 and bool(_PHOTO_CREDIT.search(line))


def looks_like_domain(line: str) -> bool:
    return bool(_DOMAIN.match(line.strip()))


def strip_furniture(text: str) -> str:
    """Drop furniture lines and datelines, keep paragraphs."""
    kept: list[str] = []
    seen: set[str] = set()
    for line in normalise_text(text).split("\n"):
        line = _CREDIT_TAIL.sub("", _DATELINE.sub("", line))
        if line and is_furniture(line):
            continue
        if len(line) > 40 and line in seen:  # a paragraph the page printed twice (a teaser, a repeated box)
            continue
        seen.add(line)
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


_TITLE_PARTS = re.compile(r"\s+[|–—]\s+|\s+-\s+")
_DATEISH = re.compile(r"^[\d./ -]{6,}$")


def clean_title(title: str, site: str | None = None) -> str:
    """A page title without the site's suffix: "Floods hit Bavaria | DW | 19.01.2020" -> "Floods hit
    Bavaria". Trailing parts go when they are the site's name, a date, or short labels after a
    title of at least four words; what stays keeps its own separators."""
    title = title.strip()
    names = {site.casefold()} if site else set()
    while True:
        cuts = list(_TITLE_PARTS.finditer(title))
        if not cuts:
            return title
        head, tail = title[: cuts[-1].start()].strip(), title[cuts[-1].end() :].strip()
        if tail.casefold() in names or _DATEISH.match(tail) or (len(tail.split()) <= 3 and len(head.split()) >= 4):
            title = head
        else:
            return title
