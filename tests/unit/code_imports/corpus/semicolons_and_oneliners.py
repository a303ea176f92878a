import os; import torch; from torch import nn
x = 1; import numpy as np
try: import apex
except ImportError: apex = None
if os.environ.get("WANDB"): import wandb
else: wandb = None
def f(): import pandas; return pandas
class C: import scipy as sp
for _ in range(1): import tqdm
with open(os.devnull) as fh: import rich
lambda_ = lambda: None; from sklearn import svm
