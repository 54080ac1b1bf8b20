"""Article extraction measured on real pages with ground truth: scrapinghub/article-extraction-benchmark
(181 news and blog pages, their article bodies written out by hand; MIT). newsbot's stored text
(`index.ingest.loaders.parse_html`: trafilatura with newsbot's settings, then its furniture stripping) beside
trafilatura's own default (`trafilatura.extract(html)`), scored with the benchmark's own shingle
precision / recall / F1 (its evaluate.py, imported from the checkout, not copied), and the pages whose
stored text still carries known page furniture.

    git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
    .venv/bin/python bench/bench_extraction.py --benchmark /tmp/aeb [--limit N]
"""

import argparse
import gzip
import importlib.util
import json
import re
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from index.errors import IngestError
from index.ingest.charsets import decode
from index.ingest.loaders import parse_html

# Furniture that must never be stored (issue 29's list, as real pages write it).
FURNITURE = re.compile(r"get the latest news on the go|tweet this|digg this|\breprints\b|link this|"
                       r"rss \| podcasts|share this article|sign up for our newsletter", re.IGNORECASE)


def benchmark_module(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("aeb_evaluate", root / "evaluate.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no evaluate.py in {root}: clone scrapinghub/article-extraction-benchmark there")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def newsbot_text(html: str, where: str) -> str:
    try:
        return parse_html(html, where).text
    except IngestError:  # no article found: nothing stored
        return ""


def trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--benchmark", type=Path, required=True, help="a checkout of the benchmark")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args()
    evaluate = benchmark_module(args.benchmark)
    truth: dict[str, dict[str, Any]] = json.loads((args.benchmark / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[: args.limit] if args.limit else sorted(truth)
    scores: dict[str, list[Any]] = {"newsbot": [], "trafilatura": []}
    furniture: dict[str, int] = {"newsbot": 0, "trafilatura": 0}
    seconds = {"newsbot": 0.0, "trafilatura": 0.0}
    for key in keys:
        raw = gzip.decompress((args.benchmark / "html" / f"{key}.html.gz").read_bytes())
        html = decode(raw, key, markup=True)
        gold = truth[key].get("articleBody", "")
        for name, extract in (("newsbot", lambda h, k=key: newsbot_text(h, k)), ("trafilatura", trafilatura_text)):
            began = time.perf_counter()
            text = extract(html)
            seconds[name] += time.perf_counter() - began
            scores[name].append(evaluate.string_shingle_matching(true=gold, pred=text))
            furniture[name] += bool(FURNITURE.search(text))
    report = {name: {**{k: round(v, 3) for k, v in evaluate.metrics_from_tp_fp_fns(found).items()},
                     "pages_with_furniture": furniture[name], "ms_per_page": round(1000 * seconds[name] / len(keys))}
              for name, found in scores.items()}
    report["pages"] = len(keys)  # type: ignore[assignment]
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
