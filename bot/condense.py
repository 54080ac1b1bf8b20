"""Turn a follow-up ("and when does it start?") into a question that stands alone.

With an LLM configured, the model rewrites it through `prompts/condense.txt`. Without one, a
follow-up (a question that leans on the conversation: a pronoun, "and ...", "what about ...",
or almost no words of its own) gets the rarest words of the latest answered question put in
place of its pronoun, which is what retrieval and the extractive answerer need; a question that
stands alone is left as it is."""

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from bot.errors import AnswerError
from bot.models import Turn
from index.keyword import STOPWORDS, stem, tokenize

_LEANING_START = re.compile(r"^\s*(and|also|but|so|then|what about|how about|what else|anything else)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|these|those|the same)\b", re.I)
_DROP_START = re.compile(r"^\s*(and|also|but|so|then)\b[\s,]*", re.I)
_OBJECT = re.compile(r"\b(it|they|them|he|him|she|her|this|these|those)\b", re.I)
_POSSESSIVE = re.compile(r"\b(its|their|his)\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9][\w’'.-]*\w|\w")
_QUESTION_WORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how", "does", "did", "do",
                   "is", "are", "was", "were", "will", "would", "can", "could", "should"}


class Condenser(Protocol):
    def condense(self, question: str, history: Sequence[Turn]) -> str: ...


def is_follow_up(question: str) -> bool:
    return bool(_LEANING_START.search(question) or _PRONOUN.search(question)) or len(set(tokenize(question))) <= 1


def subject_words(history: Sequence[Turn]) -> list[str]:
    """The content words of the latest answered question (as it was understood), which name
    what the conversation is about; the verb of a "who/what <verb>" question is left out."""
    answered = [t for t in history if t.answer.answerable]
    turn = answered[-1] if answered else history[-1]
    words: list[str] = []
    previous = ""
    for word in _WORD.findall(turn.standalone):
        lower = word.lower()
        if lower not in STOPWORDS and lower not in _QUESTION_WORDS and word not in words \
                and previous not in ("who", "what"):
            words.append(word)
        previous = lower
    return words


class CarrySubject:
    """The offline condenser. With `idf` (the keyword index's), only words the articles contain
    are carried, the rarest `max_words` of them: names and topics rather than common words."""

    def __init__(self, idf: Callable[[str], float | None] | None = None, max_words: int = 3) -> None:
        self.idf = idf
        self.max_words = max_words

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        if not history or not is_follow_up(question):
            return question
        own = set(tokenize(question))
        carried = [w for w in subject_words(history) if stem(w.lower()) not in own]
        if self.idf is not None:
            idf = self.idf
            weights = {w: idf(stem(w.lower())) for w in carried}
            rarest = sorted((w for w in carried if weights[w] is not None), key=lambda w: -(weights[w] or 0.0))
            keep = set(rarest[: self.max_words])
            carried = [w for w in carried if w in keep]
        return rewrite(question, " ".join(carried)) if carried else question


def rewrite(question: str, subject: str) -> str:
    """Put the subject where the follow-up's first pronoun is ("and when does it start?" ->
    "When does NATO summit start?"), else after the question in brackets."""
    text = _DROP_START.sub("", question).strip() or question
    text = text[0].upper() + text[1:]
    replaced, n = _OBJECT.subn(subject, text, count=1)
    if not n:
        replaced, n = _POSSESSIVE.subn(subject + "'s", text, count=1)
    return replaced if n else f"{text} ({subject})"


class LLMCondenser:
    def __init__(self, model: BaseChatModel, prompts_dir: Path) -> None:
        template = (prompts_dir / "condense.txt").read_text(encoding="utf-8")
        self.chain = ChatPromptTemplate.from_template(template) | model | StrOutputParser()

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        lines = []
        for turn in history:
            lines += [f"User: {turn.question}", f"Assistant: {turn.answer.text}"]
        try:
            rewritten = self.chain.invoke({"history": "\n".join(lines), "question": question}).strip()
        except Exception as exc:
            raise AnswerError(f"the language model failed: {type(exc).__name__}: {exc}") from exc
        return rewritten.splitlines()[0].strip().strip('"') if rewritten else question
