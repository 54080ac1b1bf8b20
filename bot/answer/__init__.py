"""The answering core: a question's path (`pipeline.py`) and its steps (`followup.py` with
`mentions.py`, `retrieval.py`, `candidates.py`, `reader.py`, `extractive.py`, `llm.py`)."""
