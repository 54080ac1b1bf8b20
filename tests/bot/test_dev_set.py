"""The dev set of real news questions, with floors just under the measured figures
(measured: see README, `make eval`), so a regression fails."""

import pytest

from bot.evaluation import ItemResult, by_style, contains, is_right, normalise, run_eval
from tests.conftest import DEV


def test_normalised_matching() -> None:
    assert normalise("The U.S. Open, 2022!") == ["u", "s", "open", "2022"]
    assert contains("It sold for $12,600,000 at auction.", "$12,600,000")
    assert contains("Ian made landfall", "ian") and not contains("Brian made landfall", "Ian")


def test_a_two_part_question_is_right_only_with_one_answer_of_each_part() -> None:
    groups = [["shower"], ["wash their hands", "wash hands"]]
    assert is_right("They can shower and wash their hands in it.", [], groups)
    assert not is_right("They can shower in it.", [], groups)
    assert is_right("Mayor Chokwe Antar Lumumba said.", ["Lumumba"], [])


def test_styles_score_answers_right_and_unanswerables_declined() -> None:
    def item(style: str, answerable: bool, predicted: bool, correct: bool) -> ItemResult:
        return ItemResult("i", "q?", answerable, predicted, "a", [], correct, False, 1, 1.0, style)

    items = [item("lexical", True, True, True), item("lexical", True, True, False),
             item("off-topic", False, False, False), item("off-topic", False, True, False)]
    assert by_style(items) == {"lexical": 0.5, "off-topic": 0.5}


@pytest.mark.slow
def test_dev_set_floors() -> None:
    report = run_eval(DEV / "questions.jsonl", DEV / "articles.jsonl")
    summary = report.summary()
    print(summary)
    # measured with the answer model shipped 2026-12-07 (+40k squad_extra, calibrated on held-out
    # news and direct questions): 0.923, 0.681, 25 words, 0.857, 0.077; with the one trained on from it
    # (+37k more), each question asked at its question_date: 0.681, 25 words, 0.829, 0.044
    # (bench/dev_sets.py). Floors below both.
    assert report.hit_at_k >= 0.90
    assert report.answer_contains_gold >= 0.65
    assert report.median_answer_words <= 26
    assert report.refusal_rate_unanswerable >= 0.80
    assert report.false_refusal_rate <= 0.10
