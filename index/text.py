"""Text helpers every step shares: the keyword tokenizer (stopwords, light stemming), sentence
splitting that keeps abbreviations whole, and the whole sentences of a passage an answer may quote."""

import re

STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves s t don said says say according week this year recently one
new
""".split()  # noqa: SIM905
)

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")


def stem(word: str) -> str:
    """Light suffix stripping: enough to match plurals and simple verb forms."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, lightly stemmed terms."""
    text = text.lower().replace("’", "'")
    return [stem(t) for t in _TOKEN.findall(text.replace("'s ", " ")) if t not in STOPWORDS]


_ABBREVIATIONS = frozenset(
    """
mr mrs ms dr prof sen rep gov gen lt col sgt capt st jr sr inc co corp ltd no vs etc jan feb mar apr
jun jul aug sep sept oct nov dec u.s u.k u.n a.m p.m e.g i.e approx dept fig
""".split()  # noqa: SIM905
)
_TAIL = 40  # characters before a sentence end that can hold the abbreviation it ends with
_SENTENCE_END = re.compile(r"""(?<=[.!?])["”’)\]]*\s+(?=["“‘(\[]?[A-Z0-9$£€])""")


def split_sentences(paragraph: str) -> list[str]:
    """Split on sentence ends, keeping abbreviations and initials intact."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        # Only the word before the end matters: look at a short tail, never the whole run since
        # `start` (which grows without bound over a run of abbreviations, making this quadratic).
        before = paragraph[max(start, match.start() - _TAIL) : match.start()].rstrip("\"”’)]")
        words = before.split()
        last_word = words[-1].lower().rstrip(".") if words else ""
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
            continue
        sentences.append(paragraph[start : match.start()].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


_SENTENCE_BULLET = re.compile(r"^[•·▪●◦*–—-]+\s*")


def sentences_of(text: str) -> list[str]:
    """Whole sentences (at least four words, ending as sentences do); captions and
    fragments without an end mark are left out."""
    found = []
    for line in text.split("\n"):
        for s in split_sentences(line):
            s = _SENTENCE_BULLET.sub("", s)
            if len(s.split()) >= 4 and s[-1:] in ".!?\"”’)":
                found.append(s)
    return found
