"""Turn a follow-up ("and when does it start?") into a question that stands alone.

With an LLM configured, the model rewrites it through `prompts/condense.txt`. Without one,
`bot.answer.followup.ResolveFollowUp` does it offline: pronouns replaced by what they point at, an
ellipsis completed from the last question, "why?" asked of the last answer."""

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from bot.errors import AnswerError
from bot.models import Turn


class Condenser(Protocol):
    def condense(self, question: str, history: Sequence[Turn]) -> str: ...


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
