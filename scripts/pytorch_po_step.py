"""The PO step of `baselines/benches/po_step.rs` in PyTorch eager mode, for comparison.

Same model (pre-norm causal transformer: width 64, 2 blocks, 2 heads, dropout 0.2, FFN 4x with
GELU, tied output over 4,606 items, histories left-padded to 10), same step (gather 1 + K
candidate log-likelihoods, DMPO loss with cached reference log-likelihoods, AdamW, gradient-norm
clipping at 0.3), batch 128, K = 15, two threads. Prints the median milliseconds per step.

Three renderings, all timed: `plain` (the textbook model: every block computes every position,
`F.dropout`), `matched` (the same computation prefbench does: the last block computes only the
last position, the only one scored, and dropout masks come from `rand_like`) and `candidates`
(matched, but scoring only the 1 + K candidates, without the catalogue's log-softmax). The last
is what an objective that reads only differences of log-likelihoods (DPO, DMPO, S-DPO and their
DynamicPO variants; not MPPO) could do, since the normaliser cancels: it bounds what dropping
the catalogue would save, at the price of results that differ at rounding level.

Run with the project's venv: `.venv/bin/python scripts/pytorch_po_step.py [THREADS [DROPOUT]]`
(defaults 2 and 0.2; the published presets train PO with dropout 0).
"""
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

ITEMS, WIDTH, BLOCKS, HEADS, DROPOUT, L = 4606, 64, 2, 2, 0.2, 10
BATCH, K, STEPS, REPEATS = 128, 15, 20, 10


MATCHED = False
CANDIDATES_ONLY = False


def dropout(x, p, training):
    if not training or p == 0.0:
        return x
    if MATCHED:
        return x * (torch.rand_like(x) >= p) * (1.0 / (1.0 - p))
    return F.dropout(x, p, training)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(WIDTH)
        self.qkv = torch.nn.Linear(WIDTH, 3 * WIDTH)
        self.out = torch.nn.Linear(WIDTH, WIDTH)
        self.norm2 = torch.nn.LayerNorm(WIDTH)
        self.ffn_in = torch.nn.Linear(WIDTH, 4 * WIDTH)
        self.ffn_out = torch.nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x, mask, last_only):
        b, l, w = x.shape
        qkv = self.qkv(self.norm1(x)).view(b, l, 3, HEADS, w // HEADS).permute(2, 0, 3, 1, 4)
        q = qkv[0]
        if last_only:
            q, mask, x = q[:, :, -1:], mask[:, :, -1:], x[:, -1:]
        p = DROPOUT if self.training else 0.0
        a = F.scaled_dot_product_attention(q, qkv[1], qkv[2], attn_mask=mask, dropout_p=p)
        x = x + dropout(self.out(a.transpose(1, 2).reshape(b, q.shape[2], w)), p, self.training)
        h = F.gelu(self.ffn_in(self.norm2(x)))
        return x + dropout(self.ffn_out(dropout(h, p, self.training)), p, self.training)


class Policy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.items = torch.nn.Embedding(ITEMS + 1, WIDTH)
        self.positions = torch.nn.Embedding(L, WIDTH)
        torch.nn.init.normal_(self.items.weight, std=1 / math.sqrt(WIDTH))
        torch.nn.init.normal_(self.positions.weight, std=1 / math.sqrt(WIDTH))
        self.blocks = torch.nn.ModuleList(Block() for _ in range(BLOCKS))
        self.final_norm = torch.nn.LayerNorm(WIDTH)

    def forward(self, histories, candidates):
        pos = torch.arange(L)
        x = dropout(self.items(histories) + self.positions(pos), DROPOUT, self.training)
        causal = torch.ones(L, L, dtype=torch.bool).tril()
        real = (histories != ITEMS).unsqueeze(1)
        mask = ((causal.unsqueeze(0) & real) | torch.eye(L, dtype=torch.bool)).unsqueeze(1)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, MATCHED and i == len(self.blocks) - 1)
        h = self.final_norm(x[:, -1])
        if CANDIDATES_ONLY:
            return torch.einsum("bw,bcw->bc", h, self.items(candidates))
        return torch.log_softmax(h @ self.items.weight[:ITEMS].T, dim=-1).gather(1, candidates)


def main():
    global MATCHED, CANDIDATES_ONLY, DROPOUT
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    DROPOUT = float(sys.argv[2]) if len(sys.argv) > 2 else DROPOUT
    for name, MATCHED, CANDIDATES_ONLY in [
        ("plain", False, False),
        ("matched", True, False),
        ("candidates", True, True),
    ]:
        time_steps(name)


def time_steps(name):
    torch.manual_seed(0)
    n = BATCH * STEPS
    histories = torch.randint(0, ITEMS, (n, L))
    candidates = torch.randint(0, ITEMS, (n, 1 + K))
    reference = torch.randn(n, 1 + K) - 8.0
    times = []
    for _ in range(REPEATS):
        policy = Policy()
        policy.train()
        opt = torch.optim.AdamW(policy.parameters(), lr=1e-4, weight_decay=0.0)
        started = time.perf_counter()
        for step in range(STEPS):
            idx = torch.randperm(n)[:BATCH]
            ll = policy(histories.index_select(0, idx), candidates.index_select(0, idx))
            ref = reference.index_select(0, idx)
            ratio = ll - ref
            loss = -F.logsigmoid(ratio[:, 0] - ratio[:, 1:].mean(dim=1)).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 0.3)
            opt.step()
        times.append((time.perf_counter() - started) / STEPS * 1e3)
    print(f"pytorch {torch.__version__} eager, {name}: median {statistics.median(times):.2f} ms/step "
          f"(min {min(times):.2f}, {REPEATS} x {STEPS} steps, batch {BATCH}, K {K}, "
          f"{ITEMS} items, {torch.get_num_threads()} threads, dropout {DROPOUT})")


if __name__ == "__main__":
    main()
