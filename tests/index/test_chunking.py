import pytest

from index import Article, chunk_article, split_sentences


def test_sentences_keep_abbreviations_and_initials() -> None:
    text = "Dr. Ann Lee met U.S. officials at 3 p.m. on Monday. Donald J. Trump spoke. Prices rose 3.5% in May."
    assert split_sentences(text) == [
        "Dr. Ann Lee met U.S. officials at 3 p.m. on Monday.", "Donald J. Trump spoke.", "Prices rose 3.5% in May."]


def test_chunks_are_whole_sentences_with_overlap_and_title() -> None:
    sentences = [f"Sentence number {i} talks about the harbour and its {i} boats." for i in range(40)]
    a = Article(title="Harbour", text=" ".join(sentences))
    chunks = chunk_article(a, size=300, overlap=80)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.embed_text.startswith("Harbour\n")
        assert len(chunk.text) <= 300 + 80
        assert all(s in sentences for s in split_sentences(chunk.text))
    first_of_second = split_sentences(chunks[1].text)[0]
    assert first_of_second in chunks[0].text  # overlap carries the last sentence over
    assert {c.metadata["n_chunks"] for c in chunks} == {len(chunks)}
    assert [c.id for c in chunks] == [f"{a.id}:{i}" for i in range(len(chunks))]


def test_paragraph_breaks_are_kept_inside_chunks() -> None:
    a = Article(title="T", text="First paragraph ends here.\n\nSecond paragraph starts here.")
    [chunk] = chunk_article(a)
    assert chunk.text == "First paragraph ends here.\nSecond paragraph starts here."


@pytest.mark.parametrize("text", [
    "x. Y " * 40_000,  # every stop follows an initial: one "sentence" of 200 KB
    "word " * 50_000 + "and no stop at all",
    "a" * 30_000,  # one token
])
def test_every_chunk_is_about_the_chunk_size_whatever_the_text(text: str) -> None:
    chunks = chunk_article(Article(title="T", text=text), size=1000, overlap=200)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert sum(len(c.text) for c in chunks) >= len(text.strip()) - len(chunks)  # nothing dropped but spaces


def test_runs_of_abbreviations_split_as_before() -> None:
    text = "Mr. A. B. Smith met Dr. C. D. Jones at 5 p.m. on Monday. He left. U.S. officials said so."
    assert split_sentences(text) == ["Mr. A. B. Smith met Dr. C. D. Jones at 5 p.m. on Monday.", "He left.",
                                     "U.S. officials said so."]
