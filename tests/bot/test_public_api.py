import bot
import bot.client
import index


def test_public_names_are_pinned() -> None:
    assert sorted(bot.__all__) == [
        "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "Answer", "AnswerError",
        "AsyncClient", "AuthenticationError", "BadRequestError", "Bot", "Citation", "CitationsEvent", "Client",
        "ConfigError", "DatabaseError", "DeltaEvent", "DoneEvent", "EmbedderError", "ErrorEvent", "Filters",
        "IngestError", "InternalServerError",
        "NewsbotError", "NotFoundError", "RateLimitError", "Settings", "StoreError",
    ]
    assert sorted(bot.client.__all__) == [
        "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "AsyncClient",
        "AuthenticationError", "BadRequestError", "Client", "InternalServerError", "NOT_GIVEN", "NotFoundError",
        "RateLimitError",
    ]
    assert sorted(index.__all__) == [
        "Article", "ArticleInfo", "Chunk", "ChunkStore", "ConfigError", "EmbedderError", "IngestError",
        "IngestReport", "NewsbotError", "StoreError", "StoredChunk", "chunk_article", "get_embeddings",
        "load_sources", "make_client", "split_sentences",
    ]
    for module in (bot, bot.client, index):
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_sdk_errors_form_one_tree() -> None:
    assert issubclass(bot.RateLimitError, bot.APIStatusError) and issubclass(bot.APIStatusError, bot.APIError)
    assert issubclass(bot.APITimeoutError, bot.APIConnectionError) and issubclass(bot.APIError, bot.NewsbotError)
