"""Average the weights of readers fine-tuned from the same base (a "model soup", Wortsman et al.
2022) into one reader of the same size and cost, exported as train.reader exports its own.

    .venv/bin/python -m train.soup --models build/train/a build/train/b --out build/train/soup
"""

import argparse
import tempfile
from pathlib import Path
from typing import Any

from train.reader import base_model_dir, copy_tokenizer, export, reader_module


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, nargs="+", required=True, help="train.reader output directories")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    states = [torch.load(m / "torch" / "reader.pt", map_location="cpu") for m in args.models]
    soup = {k: sum(s[k].float() for s in states) / len(states) if states[0][k].is_floating_point() else states[0][k]
            for k in states[0]}
    # Any: reader_module's class exists only where torch is installed (the train extra).
    model: Any = reader_module(base_model_dir(Path(tempfile.gettempdir()) / "newsbot-minilm-base"))
    model.load_state_dict(soup)
    model.eval()
    (args.out / "torch").mkdir(parents=True, exist_ok=True)
    copy_tokenizer(args.models[0], args.out)
    torch.save(soup, args.out / "torch" / "reader.pt")
    export(model, args.out)


if __name__ == "__main__":
    main()
