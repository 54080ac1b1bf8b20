"""The `newsbot` command: `main.py` the commands over the store, `feeds.py` the `feeds`
commands, `remote.py` the same commands against a server (`--url`)."""
