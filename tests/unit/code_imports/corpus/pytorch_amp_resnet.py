import logging
import random

import numpy as np
import timm
import torch
from torch.cuda.amp import GradScaler, autocast
from torchvision.datasets import ImageFolder
import torchvision.transforms as T

try:
    from apex.optimizers import FusedLAMB
except ImportError:  # apex is optional: fall back to torch's AdamW
    FusedLAMB = None

import wandb

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_optimizer(model):
    if FusedLAMB is not None:
        return FusedLAMB(model.parameters(), lr=1e-3)
    return torch.optim.AdamW(model.parameters(), lr=1e-3)


def main():
    seed_everything(0)
    run = wandb.init(project="imagenet-resnet50", config={"arch": "resnet50", "amp": True})
    model = timm.create_model("resnet50", pretrained=False, num_classes=1000).cuda()
    data = ImageFolder("/data/imagenet/train", transform=T.Compose([T.RandomResizedCrop(224), T.ToTensor()]))
    loader = torch.utils.data.DataLoader(data, batch_size=256, shuffle=True, num_workers=8, pin_memory=True)
    optimizer, scaler = build_optimizer(model), GradScaler()
    for step, (images, labels) in enumerate(loader):
        with autocast():
            loss = torch.nn.functional.cross_entropy(model(images.cuda()), labels.cuda())
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        if step % 50 == 0:
            run.log({"loss": loss.item()})
            log.info("step %d loss %.3f", step, loss.item())


if __name__ == "__main__":
    main()
