import os
from sklearn.svm import SVC
from xgboost import (
    XGBRegressor,
    XGBClassifier,
)
import numpy \
    as np

def fit():
    import optuna
    return SVC()
