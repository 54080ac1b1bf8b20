"""Slack: answers mentions, direct messages and the /news command in threads, with Block Kit.

slack-bolt and slack-sdk are imported only when Slack is configured (`pip install 'newsbot[slack]'`)."""
