import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool
from sklearn.model_selection import StratifiedKFold
from sklearn.metrics import log_loss

train = pd.read_csv("train.csv")
target = train.pop("target")
cat_features = [c for c in train.columns if train[c].dtype == object]

oof = np.zeros(len(train))
for fold, (tr, va) in enumerate(StratifiedKFold(5, shuffle=True, random_state=42).split(train, target)):
    model = CatBoostClassifier(iterations=3000, learning_rate=0.03, depth=8, eval_metric="Logloss", verbose=200)
    model.fit(
        Pool(train.iloc[tr], target.iloc[tr], cat_features=cat_features),
        eval_set=Pool(train.iloc[va], target.iloc[va], cat_features=cat_features),
        early_stopping_rounds=100,
    )
    oof[va] = model.predict_proba(train.iloc[va])[:, 1]
    model.save_model(f"catboost_fold{fold}.cbm")
print("OOF logloss", log_loss(target, oof))
