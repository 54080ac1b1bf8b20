"""Ask a question and a follow-up in one conversation; print the answers with their sources.

    NEWSBOT_URL=http://127.0.0.1:8000 python examples/ask.py "Who attends the NATO summit?" "When does it start?"
"""

import sys

from bot import APIError, Client


def main(questions: list[str]) -> int:
    conversation_id = None
    with Client() as client:  # NEWSBOT_URL and NEWSBOT_API_KEY, or Client(base_url, api_key=...)
        for question in questions:
            try:
                answer = client.ask(question, conversation_id=conversation_id)
            except APIError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            conversation_id = answer.conversation_id
            print(f"Q: {question}\nA: {answer.text}")
            for c in answer.citations:
                print(f"   [{c.n}] {c.title} ({(c.published or '')[:10]}) {c.url or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["What is the spending target?"]))
