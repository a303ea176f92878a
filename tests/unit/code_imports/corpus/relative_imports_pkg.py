"""train.py inside a package: the project's own modules are imported relatively."""
from . import utils
from .models import Net
from .data.loaders import build_loader as make_loader
from .. import config
from ..common.registry import REGISTRY
from.legacy import old_helper

import torch


def main():
    cfg = config.load()
    model = REGISTRY.get(cfg.model, Net)()
    loader = make_loader(cfg)
    optimizer = torch.optim.Adam(model.parameters())
    for batch in loader:
        loss = utils.compute_loss(model, batch)
        loss.backward()
        optimizer.step()
        old_helper(loss)
