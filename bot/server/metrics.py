"""Prometheus metrics, one registry per app (so several apps in one process don't clash)."""

import os
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess

from bot.models import Answer
from index.store.records import IngestReport

if TYPE_CHECKING:
    from bot.core import Bot

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("newsbot_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("newsbot_http_request_duration_seconds", "time to the last byte of the response",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.answers = Counter("newsbot_answers", "answers given (declines included)", registry=self.registry)
        self.refusals = Counter("newsbot_refusals", "answers that declined: the articles don't say",
                                registry=self.registry)
        self.ingested = Counter("newsbot_articles_ingested", "articles ingested, by outcome", ["outcome"],
                                registry=self.registry)
        self.question_batches = Histogram("newsbot_question_batch_size",
                                          "questions embedded together, per batch (index.store.batching)",
                                          buckets=(1, 2, 4, 8, 16, 32), registry=self.registry)
        self.feedback = Counter("newsbot_feedback", "feedback on answers", ["channel", "value"],
                                registry=self.registry)

    def exposition_registry(self) -> CollectorRegistry:
        """What /metrics shows: this process's registry, or, under several workers
        (prometheus_client's PROMETHEUS_MULTIPROC_DIR), all workers' values merged."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return merged
        return self.registry

    def watch(self, bot: "Bot") -> None:
        """Count `bot`'s answers, ingests and question batches."""
        bot.answer_listeners.append(self.on_answer)
        bot.ingest_listeners.append(self.on_ingest)
        batcher = getattr(bot.retriever, "batcher", None)  # only where the embedder batches questions
        if batcher is not None:
            batcher.listeners.append(self.question_batches.observe)

    def on_answer(self, answer: Answer) -> None:
        self.answers.inc()
        if not answer.answerable:
            self.refusals.inc()

    def on_ingest(self, report: IngestReport) -> None:
        for outcome, ids in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)):
            if ids:
                self.ingested.labels(outcome).inc(len(ids))
        if report.failed:
            self.ingested.labels("failed").inc(len(report.failed))
