import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import Bot
from bot.answer.followup import ResolveFollowUp, is_follow_up
from bot.db.database import Turn
from bot.models import Answer
from tests.conftest import article, write_jsonl


def turn(question: str, answer: str = "...", answerable: bool = True) -> Turn:
    return Turn(id="t", question=question, standalone=question,
                answer=Answer(text=answer, answerable=answerable), created_at=datetime.now(UTC))


@pytest.mark.parametrize(("question", "expected"), [
    ("And when does it start?", True), ("What is its budget?", True), ("Who proposed them?", True),
    ("What about Ukraine?", True), ("Date?", True), ("Why?", True), ("And heating oil?", True),
    ("How old is he?", True), ("Who owns that company?", True),
    ("Did the minister say that taxes will rise?", False),
    ("Who won the World Cup?", False), ("What is the spending target of NATO?", False),
    ("What did the council decide this year?", False),  # "this" as a determiner leans on nothing
])
def test_follow_up_detection(question: str, expected: bool) -> None:
    assert is_follow_up(question) is expected


ASSANGE = turn("Where is Julian Assange being held?",
               "Assange, 47, has stayed in the Ecuadorian embassy in London for seven years [1].")


@pytest.mark.parametrize(("history", "question", "expected"), [
    # he/she: the person named; after a "who" question, the one the answer named
    ([ASSANGE], "How old is he?", "How old is Julian Assange?"),
    ([turn("Who announced the tax cuts?", "Chancellor Kwasi Kwarteng announced the tax cuts on Friday [1].")],
     "Who replaced him as chancellor?", "Who replaced Kwasi Kwarteng as chancellor?"),
    ([turn("Who manages Tottenham?", "Mauricio Pochettino has managed Tottenham since 2014 [2].")],
     "How many trophies has he won?", "How many trophies has Mauricio Pochettino won?"),
    # it / its: the thing or event the last question was about, possessive kept
    ([turn("Who will attend the NATO summit?", "Donald Trump will attend [1].")],
     "And when does it start?", "When does the NATO summit start?"),
    ([turn("Who will attend the NATO summit?", "Donald Trump will attend [1].")],
     "And what is its spending target?", "What is the NATO summit's spending target?"),
    # they: a plural, not the town
    ([turn("How many bicycles will Riverton have?", "Riverton will have 400 bicycles by next spring [1].")],
     "When will they arrive?", "When will the bicycles arrive?"),
    # ellipsis: the element of the same kind swapped, the quantity asked kept
    ([turn("How much did diesel prices rise?", "Diesel prices rose 20% [1].")],
     "And heating oil?", "How much did heating oil prices rise?"),
    ([turn("Who is the CEO of Microsoft?", "Satya Nadella is the CEO [1].")],
     "What about Apple?", "Who is the CEO of Apple?"),
    # why: the last answer's fact, asked as a question
    ([turn("What did the Bank of England do?", "The Bank of England raised interest rates to 3% [1].")],
     "Why?", "Why did the Bank of England raise interest rates to 3%?"),
    # a reported fact is the fact, not the saying
    ([turn("How many jobs will the factory create?", "The new factory will create 2,000 jobs, the company said [1].")],
     "Why?", "Why will the new factory create 2,000 jobs?"),
    # it: what was talked about, not what was asked ("What price") or an attribute ("the name of")
    ([turn("What price did the painting sell for at auction?", "The painting sold for $12 million [1].")],
     "Who was selling it?", "Who was selling the painting?"),
    ([turn("What is the name of the new bridge in Lisbon?", "It is called the Tagus Crossing [1].")],
     "When will it open?", "When will the new bridge open?"),
    # a preposition stays with the question; a bare name swaps a name
    ([turn("How many homes in Florida lost power?", "About 2.6 million homes lost power [1].")],
     "And in Georgia?", "How many homes in Georgia lost power?"),
    ([turn("What is the name of the new bridge in Lisbon?", "It is called the Tagus Crossing [1].")],
     "What about Porto?", "What is the name of the new bridge in Porto?"),
    # a name takes the place of the name of its kind, read in the question (a surname alone is
    # tagged unreliably), a name inside a longer phrase too; a phrase takes the place of the one
    # with its head noun
    ([turn("How old is Joe Biden?", "Joe Biden is 80 years old [1].")], "And Trump?", "How old is Trump?"),
    ([turn("What did Angela Merkel say about the deal?", "Merkel said the deal was fair [1].")],
     "What about Macron?", "What did Macron say about the deal?"),
    ([turn("How many people died in the Turkey earthquake?", "More than 40,000 people died [1].")],
     "What about Syria?", "How many people died in the Syria earthquake?"),
    ([turn("How much did Tesla shares fall?", "Tesla shares fell 12% on Tuesday [1].")],
     "What about Ford?", "How much did Ford shares fall?"),
    ([turn("Who won the men's final?", "Carlos Alcaraz won the men's final [1].")],
     "What about the women's final?", "Who won the women's final?"),
    ([turn("How many grand slam singles titles has Serena Williams won?", "She has won 23 [1].")],
     "And Wimbledon titles?", "How many Wimbledon titles has Serena Williams won?"),
    # a fragment with no noun moves the question's place, or widens it
    ([turn("How many homes lost power in Florida?", "2.6 million homes lost power [1].")],
     "And worldwide?", "How many homes lost power worldwide?"),
    # "the Rams" is a team, not the person "him" points at; "it" is the subway, not its city
    ([turn("Who is the new head coach of the Rams?", "The Rams hired Sean Kelly, who was fired by the Bears [1].")],
     "Which team fired him?", "Which team fired Sean Kelly?"),
    ([turn("What will happen to New York's subway?", "It will get 200 new trains [1].")],
     "Can it be expanded?", "Can New York's subway be expanded?"),
    # "its X": X of what "its" points at, and "it" after "the X of Y" is Y
    ([turn("What is the capital of the new state?", "", answerable=False)],
     "What about its population?", "What is the new state's population?"),
    # a phrase the last question has no place for is added to it, nothing swapped
    ([turn("What discount did the museum announce?", "The museum cut tickets by 30% [1].")],
     "What about for students?", "What discount did the museum announce for students?"),
    # a question word without a verb asks about the last answer's fact, or a new quantity of what
    # it was about; a determiner is no pronoun
    ([turn("Who won the mayoral election?", "Jane Ortiz won the election by a wide margin [1].")],
     "By how many votes?", "By how many votes did Jane Ortiz win the election?"),
    ([turn("Which singer died on Tuesday?", "Country star Rosa Lane died at her home in Tennessee [1].")],
     "And where?", "Where did country star Rosa Lane die?"),
    ([turn("Which square will become a pedestrian zone?", "Union Square will be closed to cars [1].")],
     "How many visitors a day?", "How many visitors a day for Union Square?"),
    ([turn("Which states reported new cases?", "Texas and Ohio reported new cases [1].")],
     "How many?", "How many states reported new cases?"),
    # a last word the tagger takes for a noun is the verb: "fetch" is no part of the violin
    ([turn("What price did the old Stradivarius violin fetch?", "The violin sold for $15 million [1].")],
     "Who was selling it?", "Who was selling the old Stradivarius violin?"),
    # "that asteroid" after "Which asteroid…?" is the one the answer named
    ([turn("Which asteroid did the probe hit?", "The probe hit Dimorphos [1].")], "How big is that asteroid?",
     "How big is Dimorphos?"),
    ([turn("Which company bought the studio?", "Northwind Media bought the studio in May [1].")],
     "Who owns that company?", "Who owns Northwind Media?"),
    # an earlier answered turn is what a follow-up of a declined one leans on
    ([ASSANGE, turn("Who won the World Cup?", "", answerable=False)], "How old is he?", "How old is Julian Assange?"),
])
def test_a_follow_up_is_rewritten_as_a_person_would_write_it(history: list[Turn], question: str,
                                                             expected: str) -> None:
    assert ResolveFollowUp().condense(question, history) == expected


def test_a_question_that_stands_alone_or_has_no_history_is_left_as_asked() -> None:
    condenser = ResolveFollowUp()
    assert condenser.condense("Who won the Tour de France?", [ASSANGE]) == "Who won the Tour de France?"
    assert condenser.condense("How old is he?", []) == "How old is he?"


def test_a_pronoun_nothing_in_the_conversation_fits_is_left_without_carried_words() -> None:
    history = [turn("When does the summit start?", "It starts on June 24 [1].")]
    assert ResolveFollowUp().condense("And how old is she?", history) == "How old is she?"


def test_a_bot_follow_up_retrieves_what_the_conversation_is_about(seed_bot: Bot) -> None:
    first = seed_bot.ask("Who attends the NATO summit?", conversation_id="c-follow")
    follow = seed_bot.ask("And what is its spending target?", conversation_id="c-follow")
    assert first.answerable and follow.answerable and "3.5" in follow.text
    alone = seed_bot.ask("And what is its spending target?")  # no conversation: nothing to lean on
    assert alone.question == "And what is its spending target?"
    conversation = seed_bot.conversation("c-follow")
    assert conversation is not None and [t.answer.id for t in conversation.turns] == [first.id, follow.id]


def test_a_follow_up_is_looked_for_in_the_story_the_conversation_cites(bot: Bot, tmp_path: Path) -> None:
    g7 = article(1, title="Canada hosts the G7 summit in Kananaskis",
                 text="Canada will host the G7 summit in Kananaskis, Alberta. The summit starts on June 15 and runs "
                      "for three days. Prime Minister Mark Carney will chair the meetings.")
    nato = article(2, title="NATO leaders meet in The Hague",
                   text="NATO leaders will meet in The Hague. The summit starts on June 24 and lasts two days. "
                        "Secretary General Mark Rutte will chair the meetings.")
    bot.ingest([write_jsonl(tmp_path / "summits.jsonl", [g7, nato])])
    for story, chair, starts in (("G7", "Carney", "June 15"), ("NATO", "Rutte", "June 24")):
        first = bot.ask(f"Who will chair the {story} meetings?", conversation_id=f"c-{story}")
        assert first.answerable and chair in first.text
        # the same words in both conversations: the story each has cited decides
        follow = bot.ask("And when does the summit start?", conversation_id=f"c-{story}")
        assert follow.question == "When does the summit start?" and starts in follow.text
        assert {c.article_id for c in follow.citations} == {c.article_id for c in first.citations
                                                            if f"[{c.n}]" in first.text}
    # what the story does not answer is looked for everywhere
    elsewhere = bot.ask("And where will NATO leaders meet?", conversation_id="c-G7")
    assert "The Hague" in elsewhere.text
    # outside a conversation the same question reads the whole store
    assert {"June 15", "June 24"} <= set(re.findall(r"June \d+", bot.ask("When does the summit start?").text))


def test_a_follow_up_about_its_own_story_is_not_answered_from_another(bot: Bot, tmp_path: Path) -> None:
    g7 = article(1, title="Canada hosts the G7 summit in Kananaskis",
                 text="Canada will host the G7 summit in Kananaskis, Alberta. The summit starts on June 15. "
                      "Prime Minister Mark Carney will chair the meetings.")
    profile = article(2, title="The banker who became prime minister",
                      text="Mark Carney, 60, ran the Bank of Canada and then the Bank of England. He grew up "
                           "in Edmonton and studied economics at Harvard and Oxford.")
    bot.ingest([write_jsonl(tmp_path / "carney.jsonl", [g7, profile])])
    first = bot.ask("Who will chair the G7 meetings?", conversation_id="c1")
    assert first.answerable and "Carney" in first.text
    assert bot.ask("How old is Mark Carney?").answerable  # the store answers it, asked alone
    follow = bot.ask("How old is he?", conversation_id="c1")
    assert follow.question == "How old is Mark Carney?"
    assert not follow.answerable and "60" not in follow.text
    # a follow-up that moves on to what its story never mentions (a bank) is looked for everywhere
    moved = bot.ask("Which bank did he run first?", conversation_id="c1")
    assert moved.answerable and "Bank of Canada" in moved.text
