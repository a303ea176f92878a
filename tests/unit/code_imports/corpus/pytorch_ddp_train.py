import math
import os
import time
from contextlib import nullcontext

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

import wandb

from model import GPT, GPTConfig  # the repo's own model.py

ddp = int(os.environ.get("RANK", -1)) != -1
if ddp:
    dist.init_process_group(backend="nccl")
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ["LOCAL_RANK"])
    device = f"cuda:{local_rank}"
    torch.cuda.set_device(device)
    master = rank == 0
else:
    master = True
    device = "cuda"

ctx = nullcontext() if device == "cpu" else torch.amp.autocast(device_type="cuda", dtype=torch.bfloat16)
model = GPT(GPTConfig(n_layer=12, n_head=12, n_embd=768)).to(device)
if ddp:
    model = DDP(model, device_ids=[local_rank])
optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95))


def get_lr(it, warmup=2000, max_iters=600000, lr=6e-4, min_lr=6e-5):
    if it < warmup:
        return lr * it / warmup
    ratio = (it - warmup) / (max_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


if master:
    wandb.init(project="owt", name="gpt2-124M")
t0 = time.time()
for it in tqdm(range(1000), disable=not master):
    for group in optimizer.param_groups:
        group["lr"] = get_lr(it)
    x = torch.randint(0, 50304, (12, 1024), device=device)
    with ctx:
        _, loss = model(x, x)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if master and it % 10 == 0:
        wandb.log({"iter": it, "loss": loss.item(), "time": time.time() - t0})
if ddp:
    dist.destroy_process_group()
