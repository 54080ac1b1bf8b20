from datetime import UTC, datetime

import pytest

from bot import Bot
from bot.condense import CarrySubject, is_follow_up, rewrite
from bot.database import Turn
from bot.models import Answer


def turn(question: str, answerable: bool = True, standalone: str | None = None) -> Turn:
    return Turn(id="t", question=question, standalone=standalone or question,
                answer=Answer(text="...", answerable=answerable), created_at=datetime.now(UTC))


@pytest.mark.parametrize(("question", "expected"), [
    ("And when does it start?", True), ("What is its budget?", True), ("Who proposed them?", True),
    ("What about Ukraine?", True), ("Date?", True),
    ("Who won the World Cup?", False), ("What is the spending target of NATO?", False),
])
def test_follow_up_detection(question: str, expected: bool) -> None:
    assert is_follow_up(question) is expected


def test_rewrite_puts_the_subject_in_place_of_the_pronoun() -> None:
    assert rewrite("and when does it start?", "NATO summit") == "When does NATO summit start?"
    assert rewrite("What is its budget?", "Riverton bike-share") == "What is Riverton bike-share's budget?"
    assert rewrite("What about Ukraine?", "NATO summit") == "What about Ukraine? (NATO summit)"


def test_carry_subject_uses_the_latest_answered_question() -> None:
    condenser = CarrySubject()
    history = [turn("Who attends the NATO summit?"), turn("Who won the World Cup?", answerable=False)]
    assert condenser.condense("When does it start?", history) == "When does NATO summit start?"
    assert condenser.condense("Who won the Tour de France?", history) == "Who won the Tour de France?"
    assert condenser.condense("When does it start?", []) == "When does it start?"


def test_carry_subject_keeps_the_rarest_words_the_articles_know() -> None:
    idf = {"nato": 3.0, "summit": 2.0, "leader": 0.5}
    condenser = CarrySubject(idf.get, max_words=2)
    history = [turn("Which leaders meet at the NATO summit in Zanzibar?")]
    assert condenser.condense("When is it?", history) == "When is NATO summit?"


def test_a_bot_follow_up_retrieves_what_the_conversation_is_about(seed_bot: Bot) -> None:
    first = seed_bot.ask("Who attends the NATO summit?", conversation_id="c-follow")
    follow = seed_bot.ask("And what is its spending target?", conversation_id="c-follow")
    assert first.answerable and follow.answerable and "3.5" in follow.text
    alone = seed_bot.ask("And what is its spending target?")  # no conversation: nothing to lean on
    assert alone.question == "And what is its spending target?"
    conversation = seed_bot.conversation("c-follow")
    assert conversation is not None and [t.answer.id for t in conversation.turns] == [first.id, follow.id]
