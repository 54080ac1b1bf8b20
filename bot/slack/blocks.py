"""Block Kit messages for answers."""

from typing import Any

from bot.models import Answer

FEEDBACK_UP, FEEDBACK_DOWN = "newsbot_feedback_up", "newsbot_feedback_down"
QUOTE_CHARS = 200


def escape(text: str) -> str:
    """Slack's mrkdwn needs only these three escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str | None, title: str) -> str:
    """An article link that cannot end early or ping anyone: in the URL, `|` and `>` would close
    Slack's <url|title> and `<` open a new one (`<!channel>`), so they are escaped or encoded."""
    title = escape(title).replace("|", "¦")
    if not (url and url.startswith(("http://", "https://"))):
        return f"*{title}*"
    safe = escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{title}>"


def answer_blocks(answer: Answer, max_citations: int = 3) -> list[dict[str, Any]]:
    """The answer, then each citation as a linked title with its date and a short quote, then
    thumbs up/down buttons carrying the answer id."""
    if not answer.answerable:
        return [{"type": "section", "text": {"type": "mrkdwn",
                                             "text": f":mag: *Not in the articles.* {escape(answer.text)}"}}]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": escape(answer.text)}}]
    for c in answer.citations[:max_citations]:
        quote = c.quote if len(c.quote) <= QUOTE_CHARS else c.quote[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        meta = " · ".join(x for x in ((c.published or "")[:10], c.source or "") if x)
        line = f"[{c.n}] {_link(c.url, c.title or c.article_id)}{' · ' + escape(meta) if meta else ''}"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"{line}\n> {escape(quote)}"}]})
    if answer.id:
        blocks.append({"type": "actions", "block_id": "newsbot_feedback", "elements": [
            {"type": "button", "action_id": FEEDBACK_UP, "value": answer.id,
             "text": {"type": "plain_text", "text": ":+1: Helpful", "emoji": True}},
            {"type": "button", "action_id": FEEDBACK_DOWN, "value": answer.id,
             "text": {"type": "plain_text", "text": ":-1: Not helpful", "emoji": True}},
        ]})
    return blocks
