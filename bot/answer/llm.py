"""The LLM answerer: a LangChain chat model (OpenAI-compatible, Ollama or Anthropic) answers
from numbered passages; citations that don't support the answer are flagged."""

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from bot.answer.answering import citation
from bot.answer.extractive import DECLINE
from bot.answer.retrieval import Passage
from bot.errors import AnswerError
from bot.models import Answer, Citation
from bot.settings import LLMSettings, Settings
from index.errors import ConfigError
from index.text import sentences_of, tokenize

_CITE = re.compile(r"\[(\d+)\]")


def chat_model(llm: LLMSettings) -> BaseChatModel:
    """The configured chat model; each provider's package is an optional extra.

    Not `langchain`'s `init_chat_model`: it would add the `langchain` package and LangGraph to every
    install with an LLM extra for what is three constructors here, and the providers differ in
    exactly what this switch spells out (Ollama's `num_predict` for max_tokens, no key at all for a
    local OpenAI-compatible server, each provider's default model)."""
    key = llm.api_key.get_secret_value() if llm.api_key else None
    try:
        match llm.provider:
            case "openai":
                from langchain_openai import ChatOpenAI

                openai_args: dict[str, Any] = {
                    "model": llm.model or "gpt-4o-mini", "base_url": llm.base_url, "api_key": key or "none",
                    "temperature": llm.temperature, "timeout": llm.timeout_s, "max_tokens": llm.max_tokens,
                    "max_retries": 1}
                model: BaseChatModel = ChatOpenAI(**openai_args)
                return model
            case "ollama":
                from langchain_ollama import ChatOllama

                model = ChatOllama(model=llm.model or "llama3.2", base_url=llm.base_url,
                                   temperature=llm.temperature, num_predict=llm.max_tokens)
                return model
            case "anthropic":
                from langchain_anthropic import ChatAnthropic

                anthropic_args: dict[str, Any] = {
                    "model": llm.model or "claude-haiku-4-5", "api_key": key, "temperature": llm.temperature,
                    "timeout": llm.timeout_s, "max_tokens": llm.max_tokens}
                if llm.base_url:
                    anthropic_args["base_url"] = llm.base_url
                model = ChatAnthropic(**anthropic_args)
                return model
            case _:
                raise ConfigError("no LLM provider configured (NEWSBOT_LLM__PROVIDER)")
    except ImportError as exc:
        extra = llm.provider
        raise ConfigError(f"the {extra} provider needs its extra: pip install 'newsbot[{extra}]'") from exc


def load_prompt(prompts_dir: Path) -> ChatPromptTemplate:
    system = (prompts_dir / "answer_system.txt").read_text(encoding="utf-8")
    human = (prompts_dir / "answer_human.txt").read_text(encoding="utf-8")
    return ChatPromptTemplate.from_messages([("system", system), ("human", human)])


def format_passages(passages: Sequence[Passage]) -> str:
    blocks = []
    for n, p in enumerate(passages, 1):
        meta = p.chunk.metadata
        head = " | ".join(str(x) for x in (meta.get("title"), meta.get("published", "")[:10]) if x)
        blocks.append(f"[{n}] {head}\n{p.chunk.text}")
    return "\n\n".join(blocks)


def unsupported(text: str, cited: Sequence[Passage]) -> bool:
    """Most of the answer's content words should appear in the passages it cites."""
    words = set(tokenize(_CITE.sub("", text)))
    if not words:
        return False
    found = set().union(*(tokenize(p.chunk.text + " " + str(p.chunk.metadata.get("title", ""))) for p in cited)) \
        if cited else set()
    return len(words & found) / len(words) < 0.6


class LLMAnswerer:
    def __init__(self, model: BaseChatModel, prompt: ChatPromptTemplate) -> None:
        self.chain = prompt | model | StrOutputParser()

    @classmethod
    def from_settings(cls, settings: Settings) -> "LLMAnswerer":
        return cls(chat_model(settings.llm), load_prompt(settings.prompts_dir))

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        if not passages:
            yield DECLINE
            yield Answer(text=DECLINE, answerable=False)
            return
        pieces: list[str] = []
        try:
            for piece in self.chain.stream({"question": question, "passages": format_passages(passages),
                                            "decline": DECLINE}):
                pieces.append(piece)
                yield piece
        except Exception as exc:
            raise AnswerError(f"the language model failed: {type(exc).__name__}: {exc}") from exc
        yield self.finish("".join(pieces).strip(), question, passages)

    def finish(self, text: str, question: str, passages: Sequence[Passage]) -> Answer:
        if not text or DECLINE.lower().rstrip(".") in text.lower():
            return Answer(text=DECLINE, answerable=False)
        numbers = sorted({int(n) for n in _CITE.findall(text)})
        warnings = [f"cites [{n}], but there is no passage {n}" for n in numbers if not 1 <= n <= len(passages)]
        valid = [n for n in numbers if 1 <= n <= len(passages)]
        if not valid:
            warnings.append("the answer cites no passage")
        elif unsupported(text, [passages[n - 1] for n in valid]):
            warnings.append("the cited passages do not contain much of what the answer says")
        citations: list[Citation] = []
        answer_terms = set(tokenize(text))
        for n in valid:
            sentences = sentences_of(passages[n - 1].chunk.text) or [passages[n - 1].chunk.text]
            quote = max(sentences, key=lambda s: len(answer_terms & set(tokenize(s))))
            citations.append(citation(n, passages[n - 1], quote))
        return Answer(text=text, answerable=True, citations=citations, warnings=warnings)
