"""Join readers fine-tuned from the same base into one model whose outputs (sentence logit, span
start and end logits) are the mean of theirs: an output ensemble, exported as train.reader exports
its own. The word embeddings, frozen in training and so identical in every run, are stored once:
two readers make a 34 MB int8 file, not 46. Reading costs as many times one reader as it joins.

    .venv/bin/python -m train.ensemble --models build/train/a build/train/b --out build/train/ensemble
"""

import argparse
import tempfile
from pathlib import Path
from typing import Any

from train.reader import base_model_dir, copy_tokenizer, export, reader_module


def ensemble_module(members: list[Any]) -> Any:
    """A module averaging `members`' outputs, sharing the first one's word embeddings."""
    import torch

    shared = members[0].bert.embeddings.word_embeddings
    for m in members[1:]:
        if not torch.equal(m.bert.embeddings.word_embeddings.weight, shared.weight):
            raise ValueError("the readers' word embeddings differ: they cannot share one copy")
        m.bert.embeddings.word_embeddings = shared

    class Ensemble(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.members = torch.nn.ModuleList(members)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            outs = [m(input_ids, attention_mask, token_type_ids) for m in self.members]
            logits, start, end = (torch.stack(parts).mean(0) for parts in zip(*outs, strict=True))
            return logits, start, end

    return Ensemble()


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, nargs="+", required=True, help="train.reader output directories")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    base = base_model_dir(Path(tempfile.gettempdir()) / "newsbot-minilm-base")
    members = []
    for path in args.models:
        member: Any = reader_module(base)  # Any: its class exists only where torch is installed
        member.load_state_dict(torch.load(path / "torch" / "reader.pt", map_location="cpu"))
        members.append(member.eval())
    try:
        model = ensemble_module(members).eval()
    except ValueError as exc:
        raise SystemExit(f"train.ensemble: {exc}") from None
    copy_tokenizer(args.models[0], args.out)
    export(model, args.out)


if __name__ == "__main__":
    main()
