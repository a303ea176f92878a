import logging

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import wandb

log = logging.getLogger(__name__)


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    log.info("Running in %s", HydraConfig.get().runtime.output_dir)
    wandb.init(project=cfg.project, config=OmegaConf.to_container(cfg, resolve=True))
    model = instantiate(cfg.model)
    optimizer = instantiate(cfg.optimizer, params=model.parameters())
    best = float("inf")
    for epoch in range(cfg.epochs):
        x = torch.randn(cfg.batch_size, cfg.model.in_features)
        loss = model(x).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        best = min(best, loss.item())
        wandb.log({"epoch": epoch, "loss": loss.item()})
    return best


if __name__ == "__main__":
    main()
