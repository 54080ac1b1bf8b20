"""`python -m bot.cli`: the `newsbot` command."""

from bot.cli.main import entry

entry()
