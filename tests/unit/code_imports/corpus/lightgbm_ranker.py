from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from wandb.integration.lightgbm import wandb_callback, log_summary
import wandb

DATA = Path("data/ranking")


def load():
    frame = pd.read_parquet(DATA / "train.parquet")
    return frame.drop(columns=["relevance", "qid"]), frame["relevance"], frame["qid"]


def main():
    wandb.init(project="ltr")
    X, y, qid = load()
    scores = []
    for fold, (tr, va) in enumerate(GroupKFold(n_splits=5).split(X, y, qid)):
        group_tr = qid.iloc[tr].value_counts(sort=False).sort_index().to_numpy()
        group_va = qid.iloc[va].value_counts(sort=False).sort_index().to_numpy()
        train_set = lgb.Dataset(X.iloc[tr], y.iloc[tr], group=group_tr)
        valid_set = lgb.Dataset(X.iloc[va], y.iloc[va], group=group_va)
        booster = lgb.train(
            {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [10], "learning_rate": 0.05},
            train_set,
            num_boost_round=1000,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(50), wandb_callback()],
        )
        scores.append(booster.best_score["valid_0"]["ndcg@10"])
        log_summary(booster, save_model_checkpoint=fold == 0)
    wandb.log({"cv_ndcg@10": float(np.mean(scores))})


if __name__ == "__main__":
    main()
