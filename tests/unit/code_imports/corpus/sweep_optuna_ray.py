import optuna
import ray
from ray import tune
from ray.air.integrations.wandb import WandbLoggerCallback
from ray.tune.schedulers import ASHAScheduler
from optuna.integration.wandb import WeightsAndBiasesCallback
import wandb


def objective_optuna(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    depth = trial.suggest_int("depth", 2, 12)
    return (lr - 0.01) ** 2 + depth * 0.001


def trainable(config):
    for step in range(20):
        tune.report({"loss": (config["lr"] - 0.01) ** 2 / (step + 1)})


if __name__ == "__main__":
    study = optuna.create_study(direction="minimize")
    study.optimize(objective_optuna, n_trials=50, callbacks=[WeightsAndBiasesCallback(wandb_kwargs={"project": "hpo"})])
    ray.init(num_cpus=2)
    tune.run(
        trainable,
        config={"lr": tune.loguniform(1e-5, 1e-1)},
        num_samples=20,
        scheduler=ASHAScheduler(metric="loss", mode="min"),
        callbacks=[WandbLoggerCallback(project="hpo-ray")],
    )
    sweep_id = wandb.sweep({"method": "bayes", "metric": {"name": "loss", "goal": "minimize"}}, project="hpo")
