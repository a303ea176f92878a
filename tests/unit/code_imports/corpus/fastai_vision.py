from fastai.vision.all import *
from fastai.callback.wandb import WandbCallback
import wandb

wandb.init(project="fastai-pets")
path = untar_data(URLs.PETS) / "images"


def is_cat(x):
    return x[0].isupper()


dls = ImageDataLoaders.from_name_func(path, get_image_files(path), valid_pct=0.2, seed=42, label_func=is_cat, item_tfms=Resize(224))
learn = vision_learner(dls, resnet34, metrics=error_rate, cbs=WandbCallback())
learn.fine_tune(1)
