"""The last runnable of newsbot's LCEL chain (condense | retrieve | answer): `invoke` gives the
Answer, `stream` the answer as it is produced: DeltaEvent pieces, then a CitationsEvent, then a
DoneEvent carrying the whole Answer (the traced output of a streamed run)."""

from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from bot.models import Answer, DoneEvent, StreamItem

__all__ = ["AnswerStep", "ChainOutput", "StreamItem"]
ChainOutput = Answer | StreamItem  # invoke gives an Answer; stream gives StreamItems
Events = Callable[[dict[str, Any]], Iterator[StreamItem]]


class AnswerStep(Runnable[dict[str, Any], ChainOutput]):
    """Runs `events` (the answerer over retrieved passages) whole or streamed."""

    def __init__(self, events: Events, name: str = "answer") -> None:
        self.events = events
        self.name = name

    def invoke(self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any) -> ChainOutput:
        return self._call_with_config(self._whole, input, config)

    def _whole(self, inputs: dict[str, Any]) -> Answer:
        for event in self.events(inputs):
            if isinstance(event, DoneEvent):
                return event.answer
        raise RuntimeError("the answerer ended without an answer")

    def transform(self, input: Iterator[dict[str, Any]], config: RunnableConfig | None = None,
                  **kwargs: Any) -> Iterator[ChainOutput]:
        yield from self._transform_stream_with_config(input, self._streamed, config)

    def stream(self, input: dict[str, Any], config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[ChainOutput]:
        yield from self.transform(iter([input]), config, **kwargs)

    def _streamed(self, inputs: Iterator[dict[str, Any]]) -> Iterator[StreamItem]:
        given = list(inputs)  # one dict from the steps before: they do not stream
        if not given:
            raise RuntimeError("the answer step got no input")
        yield from self.events(given[-1])
