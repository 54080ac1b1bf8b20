"""Offline follow-ups: a question that leans on the conversation rewritten to stand alone, the way
a person would write it ("How old is he?" after a question about Julian Assange -> "How old is
Julian Assange?").

- A pronoun is replaced by what it points at, by number and kind: he/she by the person named
  last (after a "who" question, the person the answer named), it by the thing or event the last
  question was about, they by a group or a plural.
- An ellipsis ("And heating oil?", "What about Apple?") is the last question with the element of
  the same kind swapped ("How much did heating oil prices rise?", "Who is the CEO of Apple?").
- "Why?" asks why the last answer's fact holds ("Why did the Bank of England raise rates?").
What cannot be resolved is left as asked (less a leading "and"): retrieval then looks first in
the articles the conversation has cited."""

import re
from collections.abc import Sequence

from bot.answer.ellipsis import lower_the, sentence, swap
from bot.answer.mentions import Mention, clean, mentions, parse, surnames
from bot.models import Turn

_LEANING = re.compile(r"^\s*(and|also|but|so|then|ok|okay|well)\b[\s,]*", re.I)
_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+|^\s*(?:and\s+)?what\s+of\s+", re.I)
_WHY = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?(why|why so|why not|how come)\s*\??\s*$", re.I)
_PERSONAL = {"he", "him", "she", "her", "his", "hers", "himself", "herself"}
_PLURAL = {"they", "them", "their", "theirs", "these", "those", "themselves"}
_THING = {"it", "its", "this", "that", "itself"}
_WH = {"what", "which", "who", "whom", "whose", "how", "when", "where", "why"}
_REST_DEPS = {"dobj", "attr", "acomp", "prep", "prt", "xcomp", "oprd", "dative", "agent", "ccomp", "npadvmod", "advmod"}


def is_follow_up(question: str) -> bool:
    """A question that leans on the conversation: a pronoun, a leading "and"/"what about", a
    bare "why", or no verb of its own ("And heating oil?")."""
    if _LEANING.search(question) or _ABOUT.search(question) or _WHY.match(question):
        return True
    doc = parse(question)
    if any(t.lower_ in _PERSONAL | _PLURAL | {"it", "its"} for t in doc):
        return True
    if any(t.lower_ in ("this", "that", "these", "those") and t.pos_ == "PRON" for t in doc):
        return True
    if re.search(r"\b(?:that|those)\s+(?!is\b|was\b|are\b|were\b|will\b|has\b|have\b|had\b)[a-z]+\s*\??\s*$",
                 question, re.I):
        return True  # "Who owns that company?": a pointer to what the conversation named
    return not any(t.pos_ in ("VERB", "AUX") for t in doc)


class ResolveFollowUp:
    """The offline condenser (`bot.answer.condense.Condenser`)."""

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        if not history or not question.strip() or not is_follow_up(question):
            return question
        answered = [t for t in history if t.answer.answerable] or list(history)
        last = answered[-1]
        if _WHY.match(question):
            return why(last) or question
        about = _ABOUT.search(question)
        text = question[about.end():] if about else _LEANING.sub("", question, count=1)
        text = text.strip() or question
        if about or not any(t.pos_ in ("VERB", "AUX") for t in parse(text)):
            if any(w.lower() in _WH for w in re.findall(r"\w+", text)):
                return wh_fragment(text.rstrip("?. "), last) or sentence(text)
            owned = _possessed(text.rstrip("?. "), answered)
            return owned or swap(last.standalone, text.rstrip("?. ")) or sentence(text)
        return resolve_pronoun(text, referents(answered)) or pointed(text, last) or sentence(text)


def referents(turns: Sequence[Turn]) -> list[Mention]:
    """What the conversation has named, most likely referent first: the latest turn's question
    then its answer (after a "who" question, the answer's persons first: its subject is who "he"
    is), then the turns before."""
    texts = [t for turn in turns for t in (turn.standalone, clean(turn.answer.text))]
    people = surnames(texts)
    out: list[Mention] = []
    for turn in reversed(turns):
        asked = mentions(turn.standalone, people)
        said = mentions(clean(turn.answer.text), people) if turn.answer.answerable else []
        if turn.standalone.strip().lower().startswith("who"):
            out += [m for m in said if m.kind == "person"] + asked + [m for m in said if m.kind != "person"]
        else:
            out += asked + said
    return out


# Heads that name an attribute rather than a thing: "What is the name of the bridge?" is about the
# bridge, and "it" in the next question is the bridge.
_ATTRIBUTE = {"name", "number", "price", "cost", "time", "year", "day", "date", "percentage", "percent", "amount",
              "rank", "rate", "age", "period", "way", "reason", "kind", "type", "part", "place", "one", "share",
              "size", "length", "total", "figure", "level", "value", "record"}


def pick(pronoun: str, found: Sequence[Mention]) -> Mention | None:
    """The referent of `pronoun`: people for he/she; for it/they, what was talked about before
    what was asked ("the price" of "What price...") and before attributes ("the name of ...")."""
    if pronoun in _PERSONAL:
        return next((m for m in found if m.kind == "person"), None)
    talked = [m for m in found if not m.asked and m.head not in _ATTRIBUTE and not m.of]
    if pronoun in _PLURAL:  # number first: "they" after "How many bicycles..." is the bicycles
        plural = next((m for m in found if m.plural), None)
        if plural is not None:
            return plural
    return _pick_thing(pronoun, talked) or _pick_thing(pronoun, found)


def _pick_thing(pronoun: str, found: Sequence[Mention]) -> Mention | None:
    if pronoun in _PLURAL:
        plural = next((m for m in found if m.plural), None)
        return plural or next((m for m in found if m.kind == "group"), None) or \
            next((m for m in found if m.kind != "person"), None)
    return next((m for m in found if m.kind != "person" and not m.plural), None) or \
        next((m for m in found if m.kind != "person"), None)


def pointed(text: str, last: Turn) -> str | None:
    """"that asteroid" after "Which asteroid did the probe hit?" is the one the answer named: the
    pointer and its noun replaced by the answer's first name the question did not hold."""
    asked = re.search(r"\b(?:which|what)\s+(\w+)", last.standalone, re.I)
    if not asked or not last.answer.answerable:
        return None
    noun = parse(asked.group(1))[0].lemma_.lower()
    doc = parse(text)
    for token in doc[:-1]:
        following = doc[token.i + 1]  # the tagger misreads "that asteroid" often: the words decide
        if token.lower_ in ("that", "those") and following.lower_ in (noun, asked.group(1).lower()):
            named = [m for m in mentions(clean(last.answer.text)) if (m.label or _proper(m.text))
                     and m.text.lower() not in last.standalone.lower()]
            if not named:
                return None
            end = following.idx + len(following.text)
            return sentence(text[: token.idx] + named[0].text + text[end:])
    return None


def resolve_pronoun(text: str, found: Sequence[Mention]) -> str | None:
    """The first pronoun of `text` replaced by its referent (a possessive by "X's"), or None."""
    doc = parse(text)
    for token in doc:
        lower = token.lower_
        if lower not in _PERSONAL | _PLURAL | _THING:
            continue
        if lower in ("this", "that", "these", "those") and (
                token.pos_ != "PRON" or token.dep_ == "det" or
                (token.i + 1 < len(doc) and doc[token.i + 1].pos_ in ("NOUN", "PROPN", "ADJ", "NUM"))):
            continue  # a determiner: "this year", "that asteroid"
        target = pick(lower, found)
        if target is None:
            return None
        name = target.text
        if token.i > 0 and not target.label and name[:4] == "The ":
            name = "the " + name[4:]
        possessive = token.tag_ == "PRP$" or lower in ("its", "his", "their")
        if possessive:
            name += "'" if name.endswith("s") and target.plural else "'s"
        out = text[: token.idx] + name + text[token.idx + len(token.text):]
        return sentence(out)
    return None


def _possessed(fragment: str, answered: Sequence[Turn]) -> str | None:
    """ "What about its population?": what the pronoun points at, asked for its attribute ("What is
    the new state's population?"); the last question's shape has no place for it."""
    doc = parse(fragment)
    if not doc or doc[0].lower_ not in ("its", "his", "her", "their"):
        return None
    resolved = resolve_pronoun(fragment, referents(answered))
    if resolved is None:
        return None
    be = "are" if doc[-1].tag_ in ("NNS", "NNPS") else "is"
    return sentence(f"What {be} {resolved[0].lower() + resolved[1:] if resolved.startswith('The ') else resolved}")


# The verb's dependents kept when a new question word asks about its circumstances.
_CORE_DEPS = {"dobj", "attr", "acomp", "prt", "xcomp", "oprd", "dative"}
_NOMINAL_WH = re.compile(r"\bhow\s+(many|much)\s+\w|\b(what|which)\s+\w", re.I)


def wh_fragment(fragment: str, last: Turn) -> str | None:
    """A question word without a verb ("When?", "By how many votes?") asks about the last answer's
    fact: "When did Loretta Lynn die?". One asking for a new quantity or thing ("How many
    visitors a day?") asks it of what the last question was about."""
    bare = re.fullmatch(r"\W*how\s+(many|much)\W*", fragment, re.I)
    asked = re.match(r"\s*(which|what)\s+(?=\w)", last.standalone, re.I)
    if bare and asked:  # "How many?" after "Which states reported cases?": how many states did
        return sentence(f"How {bare.group(1).lower()} " + last.standalone[asked.end():])
    if (bare or _NOMINAL_WH.search(fragment)) and not re.match(r"^\W*(by|with|for|in|at|to|from|since|until)\b",
                                                       fragment, re.I):
        said = [m for m in mentions(clean(last.answer.text)) if (m.label or _proper(m.text)) and m.kind != "person"]
        topic = next((m for m in [*said, *mentions(last.standalone)] if not m.asked and m.kind != "person"), None)
        return sentence(f"{fragment} for {lower_the(topic.text)}?") if topic else None
    lead = fragment[0].upper() + fragment[1:]
    return fact_question(last, lead, _CORE_DEPS)


_REPORTING = {"say", "tell", "add", "report", "state", "claim", "confirm", "announce", "warn", "write", "note"}


def why(turn: Turn) -> str | None:
    """"Why?" after an answer: why its first sentence's main fact holds, as a question."""
    return fact_question(turn, "Why", _REST_DEPS)


def fact_question(turn: Turn, lead: str, keep: set[str]) -> str | None:
    """The last answer's main fact asked as a question led by `lead` ("Why", "By how many votes"),
    keeping the verb's dependents in `keep`: "Jane Ortiz won the election" -> "By how many votes
    did Jane Ortiz win the election?"."""
    if not turn.answer.answerable:
        return None
    doc = parse(clean(turn.answer.text))
    sent = next(iter(doc.sents), None)
    if sent is None:
        return None
    root = sent.root
    if root.lemma_ in _REPORTING:  # "..., the company said": the fact is what was said
        root = next((c for c in root.children if c.dep_ == "ccomp"), root)
    subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None:
        return None
    subj = doc[subject.left_edge.i : subject.right_edge.i + 1].text
    if subject.left_edge.pos_ not in ("PROPN",) and subj[:1].isupper():
        subj = subj[0].lower() + subj[1:]
    rest = []
    for child in root.rights:
        if child.dep_ in ("punct", "cc", "conj", "advcl", "relcl"):
            break
        if child.dep_ in keep:
            rest.append(doc[child.left_edge.i : child.right_edge.i + 1].text)
    tail = " ".join(rest)
    auxes = [c for c in root.lefts if c.dep_ in ("aux", "auxpass")]
    if root.pos_ == "AUX":
        words = [lead, root.lower_, subj, tail]
    elif auxes:
        words = [lead, auxes[0].lower_, subj, *[a.lower_ for a in auxes[1:]], root.text, tail]
    else:
        do = {"VBD": "did", "VBZ": "does"}.get(root.tag_, "do")
        words = [lead, do, subj, root.lemma_, tail]
    return sentence(" ".join(w for w in words if w).rstrip(" .") + "?")


def _proper(text: str) -> bool:
    """A name by its spelling ("Union Square"), where the tagger gives it no label."""
    words = [w for w in text.split() if w.lower() not in ("the", "of", "and", "de")]
    return bool(words) and all(w[:1].isupper() for w in words)


