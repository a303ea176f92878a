# An OpenMMLab config file: plain Python, executed by mmengine's Config loader.
_base_ = ["../_base_/models/faster-rcnn_r50_fpn.py", "../_base_/datasets/coco_detection.py"]

from mmengine.config import read_base
from mmdet.models import FasterRCNN
import mmcv

with read_base():
    from .._base_.schedules.schedule_1x import *  # noqa

model = dict(type=FasterRCNN, roi_head=dict(bbox_head=dict(num_classes=8)))
vis_backends = [dict(type="LocalVisBackend"), dict(type="WandbVisBackend", init_kwargs=dict(project="mmdet"))]
visualizer = dict(type="DetLocalVisualizer", vis_backends=vis_backends)
train_pipeline = [dict(type="LoadImageFromFile", backend_args=mmcv.__version__ and None)]
