import torch
from torchvision.models import (resnet50,
                                vit_b_16
import wandb

model = resnet50()
