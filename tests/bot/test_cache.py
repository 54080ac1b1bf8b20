from bot import Bot, DeltaEvent, DoneEvent
from bot.answer.cache import LRU
from tests.conftest import article


def test_repeated_questions_come_from_the_cache_until_the_store_changes(bot: Bot) -> None:
    bot.ingest([article(1)])
    question = "What did the mayor Ada Brandt say about the ferry line in Port Elm 1?"
    first = bot.ask(question)
    assert first.answerable and bot._answers.hits == 0
    again = bot.ask(question)
    assert again.text == first.text and bot._answers.hits == 1
    streamed = list(bot.stream(question))
    assert bot._answers.hits == 2
    assert "".join(e.text for e in streamed if isinstance(e, DeltaEvent)) == first.text
    assert isinstance(streamed[-1], DoneEvent) and streamed[-1].answer.text == first.text

    changed = ("The town of Port Elm 1 closed its ferry line. The mayor, Ada Brandt, said the boats were sold to a "
               "museum in the north.")
    bot.ingest([article(1, text=changed)])
    after = bot.ask(question)
    assert bot._answers.hits == 2 and after.text != first.text
    assert all(part in changed for part in after.citations[0].quote.split(" … "))  # quoted from the new text


def test_no_cache_when_turned_off(tmp_path: object) -> None:
    bot = Bot(data_dir=str(tmp_path), answer_cache=0, query_cache=0)
    bot.ingest([article(2)])
    bot.ask("How much do tickets cost?")
    bot.ask("How much do tickets cost?")
    assert bot._answers.hits == 0 and len(bot._answers) == 0


def test_caches_are_bounded_by_bytes_too() -> None:
    cache: LRU[str, str] = LRU(1000, max_bytes=10_000, weigh=lambda k, v: len(k) + len(v))
    for n in range(100):
        cache.put(f"k{n}", "v" * 1000)
    assert cache.bytes <= 10_000 and len(cache) < 11 and cache.get("k99") and cache.get("k0") is None
    cache.put("huge", "v" * 20_000)  # larger than the whole cache: not kept, nothing evicted for it
    assert cache.get("huge") is None and cache.get("k99")


def test_large_filters_do_not_grow_the_answer_cache(bot: Bot) -> None:
    bot.ingest([article(1)])
    for n in range(40):
        bot.ask("How much do tickets cost?", filters={"source": [f"{n} source {i} " * 10 for i in range(100)]})
    assert len(bot._answers) == 40 and bot._answers.bytes < 40 * 5_000
