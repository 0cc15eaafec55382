"""TRL's SFT, DPO and KTO trainers on sekft's outputs as they are, a few steps each on CPU (run by bench/trl.sh).

    python bench/trl.py MODEL_DIR DATA_DIR [STEPS]

MODEL_DIR holds a tokenizer with a chat template (scripts/tiny-model.py's); a two-layer Llama with random weights is
built from its config.json here. Each trainer runs on the files DATA_DIR holds (a file its manifest lists as `empty`
is absent): train.jsonl + valid.jsonl (SFT), dpo.jsonl + dpo-valid.jsonl (DPO), kto.jsonl + kto-valid.jsonl (KTO).
"""

import json
import sys
from pathlib import Path

import torch
from datasets import load_dataset
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer, SFTConfig, SFTTrainer


def files(data: Path, train: str, valid: str):
    found = {k: str(data / f) for k, f in (("train", train), ("validation", valid)) if (data / f).exists()}
    return load_dataset("json", data_files=found) if "train" in found else None


def main():
    model_dir, data = Path(sys.argv[1]), Path(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    manifest = json.loads((data / "manifest.json").read_text())
    print(f"{data}: empty files {manifest.get('empty', [])}")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    cfg = json.loads((model_dir / "config.json").read_text())
    torch.manual_seed(0)
    config = LlamaConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "model_type", "torch_dtype")})

    def model():
        return LlamaForCausalLM(config)

    common = dict(max_steps=steps, per_device_train_batch_size=1, per_device_eval_batch_size=1, report_to=[], use_cpu=True, logging_steps=1)
    runs = [
        ("sft", files(data, "train.jsonl", "valid.jsonl"), SFTTrainer, SFTConfig(output_dir="/tmp/sekft-trl-sft", max_length=8192, **common)),
        ("dpo", files(data, "dpo.jsonl", "dpo-valid.jsonl"), DPOTrainer, DPOConfig(output_dir="/tmp/sekft-trl-dpo", max_length=8192, **common)),
        ("kto", files(data, "kto.jsonl", "kto-valid.jsonl"), KTOTrainer, KTOConfig(output_dir="/tmp/sekft-trl-kto", max_length=8192, **common)),
    ]
    for name, ds, trainer, args in runs:
        if ds is None:
            print(f"{name}: no training file in {data} (see the manifest's `empty`)")
            continue
        t = trainer(model=model(), args=args, processing_class=tokenizer, train_dataset=ds["train"], eval_dataset=ds.get("validation"))
        out = t.train()
        print(f"{name}: {steps} steps, train loss {out.training_loss:.4f}")
        if "validation" in ds:
            print(f"{name}: eval {t.evaluate()}")


if __name__ == "__main__":
    main()
