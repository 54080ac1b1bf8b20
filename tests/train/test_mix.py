"""A continuation's mix weighs sources up or down by question, never splitting one."""

from train.mix import mixed, weight_of


def rows() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for q in range(200):
        src = "news" if q < 20 else "extra:squad_v1.1_train"
        out += [{"q": f"q{q}", "s": f"s{n}", "y": int(n == 0), "src": src, "g": f"{src}:{q}"} for n in range(3)]
    out += [{"q": "o", "s": "ooc", "y": 0, "src": "ooc"}]
    return out


def test_the_longest_named_prefix_decides_a_sources_weight() -> None:
    weights = {"extra": 0.5, "extra:tweetqa": 1.0}
    assert weight_of("extra:squad_v1.1_train", weights) == 0.5
    assert weight_of("extra:tweetqa", weights) == 1.0
    assert weight_of("news", weights) == 1.0
    assert weight_of("extras", weights) == 1.0  # a prefix is a whole name, not a few letters


def test_repeated_questions_get_groups_of_their_own_and_kept_questions_stay_whole() -> None:
    out = list(mixed(rows(), {"news": 3}, {"extra": 0.25}, seed=1))
    news = [r for r in out if r["src"] == "news"]
    assert len(news) == 20 * 3 * 3
    assert len({r["g"] for r in news}) == 60  # each copy its own group of three rows
    groups: dict[object, int] = {}
    for r in out:
        if r["src"] != "news" and r.get("g"):
            groups[r["g"]] = groups.get(r["g"], 0) + 1
    assert set(groups.values()) == {3}  # a kept question keeps all its rows
    assert 20 < len(groups) < 75  # about a quarter of 180
    assert sum(r["src"] == "ooc" for r in out) == 1
