import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import wandb

df = pd.read_csv("titanic.csv")
y = df.pop("Survived")
numeric = ["Age", "Fare", "SibSp", "Parch"]
categorical = ["Pclass", "Sex", "Embarked"]

preprocess = ColumnTransformer(
    [
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ]
)
clf = Pipeline([("prep", preprocess), ("rf", RandomForestClassifier(n_estimators=500, random_state=0))])

run = wandb.init(project="titanic", config={"n_estimators": 500})
scores = cross_val_score(clf, df, y, cv=5)
run.log({"cv_accuracy": np.mean(scores)})
clf.fit(df, y)
joblib.dump(clf, "model.joblib")
wandb.sklearn.plot_classifier(clf, df, df, y, y, clf.predict(df), clf.predict_proba(df), ["died", "survived"], model_name="RF")
