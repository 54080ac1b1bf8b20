"""Send articles to a newsbot server: files, directories and dicts; then list what it holds.

    NEWSBOT_URL=http://127.0.0.1:8000 python examples/ingest.py samples/ article.html
"""

import sys

from bot import Client


def main(paths: list[str]) -> None:
    with Client() as client:
        report = client.ingest([*paths, {"title": "Harbour ferry returns", "published": "2025-05-02",
                                         "text": "The Port Elm ferry sails again from Monday, every hour."}])
        print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")
        page = client.list_articles(limit=10)
        for info in page.items:
            print(f"{info.id}  {(info.published or '')[:10]}  {info.title}")
        print(f"{page.total} articles in all")


if __name__ == "__main__":
    main(sys.argv[1:] or ["samples"])
