import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import wandb
from wandb.integration.xgboost import WandbCallback

df = pd.read_csv("data/credit.csv")
y = df.pop("default")
X_train, X_val, y_train, y_val = train_test_split(df, y, test_size=0.2, stratify=y, random_state=0)

params = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 6,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "tree_method": "hist",
}
run = wandb.init(project="credit-default", config=params)
clf = xgb.XGBClassifier(n_estimators=2000, early_stopping_rounds=50, callbacks=[WandbCallback(log_model=True)], **params)
clf.fit(X_train, y_train, eval_set=[(X_val, y_val)], verbose=100)
run.summary["val_auc"] = roc_auc_score(y_val, clf.predict_proba(X_val)[:, 1])
run.finish()
