import argparse

import deepspeed
import torch
from deepspeed.accelerator import get_accelerator
from transformers import AutoModelForCausalLM

parser = argparse.ArgumentParser()
parser.add_argument("--local_rank", type=int, default=-1)
parser = deepspeed.add_config_arguments(parser)
args = parser.parse_args()

model = AutoModelForCausalLM.from_pretrained("gpt2-large")
engine, optimizer, _, _ = deepspeed.initialize(args=args, model=model, model_parameters=model.parameters())
for step in range(100):
    batch = torch.randint(0, 50257, (4, 512), device=get_accelerator().device_name(engine.local_rank))
    loss = engine(batch, labels=batch).loss
    engine.backward(loss)
    engine.step()
