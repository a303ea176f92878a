import paddle
from paddleocr import PaddleOCR
import paddle.nn.functional as F
from visualdl import LogWriter

paddle.set_device("gpu" if paddle.is_compiled_with_cuda() else "cpu")
ocr = PaddleOCR(use_angle_cls=True, lang="en")
with LogWriter(logdir="./log") as writer:
    for i, line in enumerate(ocr.ocr("receipt.jpg", cls=True)[0]):
        writer.add_scalar(tag="confidence", step=i, value=line[1][1])
print(F.softmax(paddle.to_tensor([1.0, 2.0])))
