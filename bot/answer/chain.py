"""The last runnable of newsbot's LCEL chain (condense | retrieve | answer): `invoke` gives the
Answer, `stream` the answer as it is produced: DeltaEvent pieces, then a CitationsEvent, then a
DoneEvent carrying the whole Answer (the traced output of a streamed run).

Made of LangChain's public runnables: a RunnableLambda for the whole answer and a
RunnableGenerator for the stream, both named "answer", so a run is traced the same either way."""

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda

from bot.models import Answer, DoneEvent, StreamItem

__all__ = ["AnswerStep", "ChainOutput", "StreamItem"]
ChainOutput = Answer | StreamItem  # invoke gives an Answer; stream gives StreamItems
State = TypeVar("State")


class AnswerStep(Runnable[State, ChainOutput], Generic[State]):
    """Runs `events` (the answerer over retrieved passages) whole or streamed."""

    def __init__(self, events: Callable[[State], Iterator[StreamItem]], name: str = "answer") -> None:
        self.events = events
        self.name = name
        self._whole: Runnable[State, Answer] = RunnableLambda(self._answer, name=name)
        self._streamed: Runnable[State, StreamItem] = RunnableGenerator(self._stream, name=name)

    def invoke(self, input: State, config: RunnableConfig | None = None, **kwargs: Any) -> ChainOutput:
        return self._whole.invoke(input, config)

    def transform(self, input: Iterator[State], config: RunnableConfig | None = None,
                  **kwargs: Any) -> Iterator[ChainOutput]:
        yield from self._streamed.transform(input, config)

    def stream(self, input: State, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[ChainOutput]:
        yield from self.transform(iter([input]), config, **kwargs)

    def _answer(self, state: State) -> Answer:
        for event in self.events(state):
            if isinstance(event, DoneEvent):
                return event.answer
        raise RuntimeError("the answerer ended without an answer")

    def _stream(self, states: Iterator[State]) -> Iterator[StreamItem]:
        given = list(states)  # one state from the steps before: they do not stream
        if not given:
            raise RuntimeError("the answer step got no input")
        yield from self.events(given[-1])
