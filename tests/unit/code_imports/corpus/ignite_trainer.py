import torch
from ignite.contrib.handlers import ProgressBar
from ignite.contrib.handlers.wandb_logger import WandBLogger
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.metrics import Accuracy, Loss
from torch import nn
from torchvision.datasets import FashionMNIST
from torchvision.transforms import ToTensor

device = "cuda" if torch.cuda.is_available() else "cpu"
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
criterion = nn.CrossEntropyLoss()
train_loader = torch.utils.data.DataLoader(FashionMNIST(".", download=True, transform=ToTensor()), batch_size=64)

trainer = create_supervised_trainer(model, optimizer, criterion, device=device)
evaluator = create_supervised_evaluator(model, metrics={"acc": Accuracy(), "loss": Loss(criterion)}, device=device)
ProgressBar().attach(trainer)
wandb_logger = WandBLogger(project="ignite-fashion")
wandb_logger.attach_output_handler(trainer, event_name=Events.ITERATION_COMPLETED(every=100), tag="train", output_transform=lambda loss: {"loss": loss})


@trainer.on(Events.EPOCH_COMPLETED)
def log_validation(engine):
    evaluator.run(train_loader)
    print(engine.state.epoch, evaluator.state.metrics)


trainer.run(train_loader, max_epochs=5)
