import torch
from lightning_fabric import Fabric, seed_everything
from lightning_fabric.loggers import CSVLogger
from torchvision.models import resnet18

seed_everything(42)
fabric = Fabric(accelerator="cuda", devices=2, strategy="ddp", precision="bf16-mixed", loggers=CSVLogger("logs"))
fabric.launch()

model = resnet18(num_classes=10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model, optimizer = fabric.setup(model, optimizer)
dataset = torch.utils.data.TensorDataset(torch.randn(512, 3, 32, 32), torch.randint(0, 10, (512,)))
loader = fabric.setup_dataloaders(torch.utils.data.DataLoader(dataset, batch_size=32))

for epoch in range(3):
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        fabric.backward(loss)
        optimizer.step()
        optimizer.zero_grad()
    fabric.log("loss", loss.item(), step=epoch)
