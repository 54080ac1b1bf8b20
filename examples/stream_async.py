"""Stream an answer with the async client: print the text as it arrives, then the sources.

    NEWSBOT_URL=http://127.0.0.1:8000 python examples/stream_async.py "Who attends the NATO summit?"
"""

import asyncio
import sys

from bot import AsyncClient, CitationsEvent, DeltaEvent, DoneEvent


async def main(question: str) -> None:
    async with AsyncClient() as client:
        async for event in client.stream(question):
            if isinstance(event, DeltaEvent):
                print(event.text, end="", flush=True)
            elif isinstance(event, CitationsEvent):
                print()
                for c in event.citations:
                    print(f"   [{c.n}] {c.title}: “{c.quote}”")
            elif isinstance(event, DoneEvent):
                print(f"(conversation {event.answer.conversation_id})")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Who attends the NATO summit?"))
