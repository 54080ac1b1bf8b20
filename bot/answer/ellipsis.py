"""Ellipses: a fragment ("And heating oil?", "What about Apple?", "And worldwide?") read as the
last question with the element of the fragment's kind swapped, the way a person would write it."""

import re

from bot.answer.mentions import Mention, kind_at, mentions, names, parse

_WH = {"what", "which", "who", "whom", "whose", "how", "when", "where", "why"}


def swap(last: str, fragment: str) -> str | None:
    """The last question with the element of the fragment's kind replaced by the fragment."""
    if not fragment:
        return None
    doc = parse(fragment)
    if len(doc) > 1 and doc[0].pos_ in ("ADP", "SCONJ"):
        if not re.search(rf"\b{re.escape(doc[0].text)}\b", last, re.IGNORECASE):
            # "for a single parent" after a question with no "for": the phrase is added, nothing swapped
            return sentence(last.rstrip("?. ") + " " + fragment + "?")
        fragment = fragment[doc[1].idx:]  # "in Georgia": Georgia swaps, the question keeps its own "in"
    if not fragment[:1].isupper() and not any(t.pos_ in ("NOUN", "PROPN", "NUM", "PRON") for t in doc):
        return place_swap(last, fragment)
    slot = same_head(last, fragment) or name_slot(last, fragment)
    if slot is not None:
        return sentence(last[: slot[0]] + _with_article(fragment, last[slot[0]:slot[1]]) + last[slot[1]:])
    own = mentions(fragment)
    label = own[0].label if len(own) == 1 and own[0].text.endswith(fragment.split()[-1]) else ""
    found = mentions(last)
    target: Mention | None = None
    if label:
        same = [m for m in found if m.label == label] or [m for m in found if m.kind == own[0].kind and m.label]
        target = same[-1] if same else None
    else:  # a bare name the tagger cannot place ("Porto") stands for a name; a common noun for a phrase
        named = [m for m in found if m.label and m.kind != "person"] if fragment[:1].isupper() else []
        common = named or [m for m in found if not m.label]
        target = common[-1] if common else None
    if target is None:
        topic = next((m.text for m in found if m.kind != "person" and fragment.lower() not in m.text.lower()), None)
        return sentence(f"What about {fragment} and {lower_the(topic)}?") if topic else None
    start, end = target.modifiers or (target.start, target.end)
    replacement = fragment if target.modifiers or label else _with_article(fragment, last[target.start:target.end])
    return sentence(last[:start] + replacement + last[end:])


def place_swap(last: str, fragment: str) -> str:
    """A fragment with no noun ("And worldwide?", "Nationally?") widens or moves where the last
    question is about: its last phrase naming a place or a time is replaced, else the fragment is
    added."""
    doc = parse(last)
    for token in reversed(doc):
        if token.dep_ == "prep" and any(c.dep_ == "pobj" and c.ent_type_ in ("GPE", "LOC", "FAC", "DATE")
                                        for c in token.children):
            start, end = token.idx, token.right_edge.idx + len(token.right_edge.text)
            return sentence(last[:start] + fragment + last[end:])
    return sentence(last.rstrip("?. ") + " " + fragment + "?")


def same_head(last: str, fragment: str) -> tuple[int, int] | None:
    """Where the last question has a phrase with the fragment's head noun ("the men's final" for
    "the women's final"): that phrase, from its first word to its head."""
    doc = parse(fragment)
    head = next((t for t in reversed(doc) if t.is_alpha), None)  # the tagger calls "final" an adjective
    if head is None or len(doc) < 2 or head.pos_ in ("PROPN", "VERB", "AUX", "PRON") or head.i == 0:
        return None
    for token in parse(last):
        if token.dep_ not in ("compound", "amod") and token.lemma_.lower() == head.lemma_.lower() and \
                token.i > token.left_edge.i:
            doc_last = token.doc
            first = token.left_edge.i
            while first < token.i and (doc_last[first].lower_ in _WH | {"many", "much"}):
                first += 1  # "How many grand slam titles": the question word stays
            return doc_last[first].idx, token.idx + len(token.text)
    return None


def name_slot(last: str, fragment: str) -> tuple[int, int] | None:
    """The name in the last question the fragment's name takes the place of. A name alone is read
    unreliably ("Trump" alone is tagged an organisation), so each name of the last question is
    replaced by the fragment and the result read again: the slot is the one where the fragment is a
    name of the kind the replaced one was ("How old is Joe Biden?" + "And Trump?": a person)."""
    if not fragment[:1].isupper():
        return None
    for start, end, kind in reversed(names(last)):
        if kind_at(last[:start] + fragment + last[end:], start) == kind:
            return start, end
    return None


def _with_article(fragment: str, replaced: str) -> str:
    """ "heating oil" for "the diesel" keeps the article only where the fragment has none."""
    first = replaced.split()[0].lower() if replaced.split() else ""
    if first in ("the", "a", "an") and fragment.split()[0].lower() not in ("the", "a", "an") and \
            not fragment[:1].isupper():
        return f"{replaced.split()[0]} {fragment}"
    return fragment


def lower_the(text: str) -> str:
    return "the " + text[4:] if text.startswith("The ") else text


def sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in "?.!" else text + "?"
