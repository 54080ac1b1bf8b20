"""What is indexed, as a reader looks for it: articles by title words and source, and the sources
with how many articles each holds and how recent they are. A source is named the way people name
it: "Reuters" finds "Reuters: World News" and reuters.com."""

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from index.errors import NewsbotError
from index.store.records import ArticleInfo

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def names_source(wanted: str, name: str | None, host: str | None = None) -> bool:
    """`wanted` names this source: its words are among the name's ("reuters" in "Reuters: World
    News"), or it is the host or one of its labels ("reuters.com", "reuters" for www.reuters.com)."""
    asked = words(wanted)
    if not asked:
        return False
    if name and set(asked) <= set(words(name)):
        return True
    if host:
        wanted_host = wanted.strip().casefold().removeprefix("www.")
        return wanted_host == host or host.endswith("." + wanted_host) or wanted_host in host.split(".")
    return False


def matching_names(wanted: Iterable[str], stored: Iterable[str]) -> dict[str, list[str]]:
    """For each wanted source, the stored source names it names (exact case-insensitive matches
    first; else by words)."""
    names = sorted(set(stored))
    out: dict[str, list[str]] = {}
    for want in wanted:
        exact = [n for n in names if n.casefold() == want.casefold()]
        out[want] = exact or [n for n in names if names_source(want, n)]
    return out


class SourceInfo(BaseModel):
    name: str | None = Field(description="as the articles name it; None for articles without a source")
    hosts: list[str] = Field(description="the hosts its articles' URLs are on")
    articles: int
    newest: str | None = Field(description="the newest article's publication date")


def sources(infos: Sequence[ArticleInfo]) -> list[SourceInfo]:
    """Every source with its article count and newest date, the most articles first."""
    grouped: dict[str | None, list[ArticleInfo]] = {}
    for info in infos:
        grouped.setdefault(info.source or host_of(info.url), []).append(info)
    out = [SourceInfo(name=name, hosts=sorted({h for i in group if (h := host_of(i.url))}), articles=len(group),
                      newest=max((i.published for i in group if i.published), default=None))
           for name, group in grouped.items()]
    return sorted(out, key=lambda s: (-s.articles, s.name or ""))


def find(infos: Sequence[ArticleInfo], q: str | None = None, source: str | None = None) -> list[ArticleInfo]:
    """The articles whose title holds every word of `q` and whose source (or host) `source` names,
    in the order given (newest first)."""
    wanted = set(words(q or ""))
    return [i for i in infos
            if wanted <= set(words(i.title)) and (not source or names_source(source, i.source, host_of(i.url)))]


def page(items: Sequence[ArticleInfo], number: int, size: int) -> list[ArticleInfo]:
    """Page `number` (1 is the first) of `size` items; page 0 is every item."""
    if number < 0 or size < 1:
        raise NewsbotError("--page must be 0 or more and --page-size 1 or more")
    return list(items) if number == 0 else list(items[(number - 1) * size: number * size])


def subject_of(title: str) -> str | None:
    """What a headline is about, as a question names it: its first name ("Tomas Lind", "NATO"), else
    its first noun phrase ("the harbour ferry")."""
    from bot.answer.mentions import parse

    doc = parse(title[:300])
    named = [e for e in doc.ents if e.label_ in {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT"}]
    if named:
        return named[0].text
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ == "PRON":
            continue
        if chunk.root.pos_ == "PROPN":
            return chunk.text
        words = [t for t in chunk if t.dep_ != "det" and t.pos_ != "DET"]
        return "the " + " ".join(t.text.lower() for t in words) if words else None
    return None


def example_questions(infos: Sequence[ArticleInfo], n: int = 3, look_at: int = 20) -> list[str]:
    """Questions a newcomer could ask, about what the newest articles are about."""
    out: list[str] = []
    for info in infos[:look_at]:
        subject = subject_of(info.title) if info.title else None
        question = f"What is the latest on {subject}?" if subject else None
        if question and question not in out:
            out.append(question)
        if len(out) == n:
            break
    return out
