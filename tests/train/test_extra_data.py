"""squad_extra as training data: positives found by the gold span's offsets, and a held-out tenth
split by article (by context where a dataset's "title" names the collection), never trained on."""

from train.data import UNTITLED, extra_group, is_held_out, sentence_span


def test_the_positive_is_the_sentence_holding_the_gold_offsets_not_a_repeat_of_the_words() -> None:
    context = "Paris hosted the games in 1900. The city hosted them again in 1924, said Paris officials."
    second = "The city hosted them again in 1924, said Paris officials."
    gold = (context.index("1924"), context.index("1924") + 4)
    assert sentence_span(context, second, [gold]) == [second.index("1924"), second.index("1924") + 4]
    paris_in_second = context.rindex("Paris")
    assert sentence_span(context, "Paris hosted the games in 1900.", [(paris_in_second, paris_in_second + 5)]) is None


def test_a_titled_article_is_held_out_whole_and_untitled_collections_by_context() -> None:
    row = {"dataset": "squad_v1.1_train", "title": "Asthma", "context": "one paragraph"}
    other_paragraph = {**row, "context": "another paragraph"}
    assert extra_group(row) == extra_group(other_paragraph)  # every paragraph of an article on one side
    reddit = {"dataset": "squadshifts_reddit", "title": "Filtered_Reddit_Comments", "context": "a comment"}
    assert "squadshifts_reddit" in UNTITLED and extra_group(reddit) == "squadshifts_reddit:a comment"
    groups = [f"squad_v1.1_train:article {n}" for n in range(2000)]
    held = sum(is_held_out(g) for g in groups)
    assert 150 < held < 250 and is_held_out(groups[7]) == is_held_out(groups[7])  # a stable tenth
