import numpy as np
import torch

def broken(x:
    return x

from sklearn.linear_model import LogisticRegression
import wandb

def also_broken()
    pass

if __name__ == "__main__":
    import matplotlib.pyplot as plt
    print("unreachable" 
