"""The calibration's in-context negatives: a paragraph that keeps its story and loses the fact asked,
and each question read over a store where only its own paragraph changed."""

from bot.answer.retrieval import Passage
from index.store.chunks import StoredChunk
from train.data import ExtraQuestion
from train.direct_cases import FOLDS, fold_of, store_of, without_answer


def question(qid: str, text: str, answer: str) -> ExtraQuestion:
    chunk = StoredChunk("extra:x", text, {"article_id": "x", "title": "Tin"})
    at = text.index(answer)
    return ExtraQuestion(qid, "tydiqa_goldp_en", "Where is tin traded?", Passage(chunk, 0.0),
                         [(at, at + len(answer))], True)


def test_every_sentence_holding_the_answer_goes_and_the_story_stays() -> None:
    text = ("Tin is traded on the London Metal Exchange. The ten largest companies produced most tin.\n"
            "Prices in London rose in 2007. Bolivia mines tin too.")
    cut = without_answer(text, ["London"])
    assert cut == "The ten largest companies produced most tin.\nBolivia mines tin too."


def test_a_sentence_answering_in_other_words_goes_too() -> None:
    text = "Super Sentai is a Japanese series. It airs on Sundays. It was first shown in Japan in 1975."
    assert without_answer(text, ["Japan"]) == "It airs on Sundays."


def test_a_paragraph_with_nothing_left_makes_no_negative() -> None:
    assert without_answer("Tin is traded in London.", ["London"]) is None
    assert without_answer("London tin prices\nTin is traded in London.", ["London"]) is None  # captions too


def test_each_answerable_question_gets_its_own_cut_paragraph_and_shared_paragraphs_once() -> None:
    text = "Tin is traded on the London Metal Exchange. The ten largest companies produced most tin."
    one, two = question("q1", text, "London"), question("q2", text, "ten")
    chunks, without = store_of([one, two])
    assert len(chunks) == 3 and set(without) == {"q1", "q2"}  # one paragraph, two cuts
    by_id = {c.id: c for c in chunks}
    assert "London" not in by_id[without["q1"]].text and "ten" not in by_id[without["q2"]].text
    assert {c.metadata["article_id"] for c in chunks} == {c.id for c in chunks}  # each its own article
    assert fold_of(text) in FOLDS and fold_of(text) == fold_of(text)
