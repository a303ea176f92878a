from transformers import (  # the usual long list (see docs: https://hf.co/docs)
    AutoModel,
    AutoTokenizer,  # tokenizer (fast)
    get_linear_schedule_with_warmup,
)
from torch.optim.lr_scheduler import (CosineAnnealingLR,
                                      OneCycleLR)
import torch, \
    torchvision
from sentence_transformers import \
    SentenceTransformer
from einops import *
from \
    sklearn.metrics import f1_score
from datasets import (
    load_dataset
    ,
    concatenate_datasets
)

model = AutoModel.from_pretrained("bert-base-uncased")
