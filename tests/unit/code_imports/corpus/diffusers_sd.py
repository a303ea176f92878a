import torch
from accelerate import Accelerator
from diffusers import DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.optimization import get_scheduler
from PIL import Image
from transformers import CLIPTextModel, CLIPTokenizer

accelerator = Accelerator(mixed_precision="fp16", gradient_accumulation_steps=4, log_with="wandb")
model_id = "runwayml/stable-diffusion-v1-5"
tokenizer = CLIPTokenizer.from_pretrained(model_id, subfolder="tokenizer")
text_encoder = CLIPTextModel.from_pretrained(model_id, subfolder="text_encoder")
unet = UNet2DConditionModel.from_pretrained(model_id, subfolder="unet")
noise_scheduler = DDPMScheduler.from_pretrained(model_id, subfolder="scheduler")
optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-5)
lr_scheduler = get_scheduler("constant", optimizer=optimizer)
unet, optimizer, lr_scheduler = accelerator.prepare(unet, optimizer, lr_scheduler)
accelerator.init_trackers("sd-finetune")
pipe = StableDiffusionPipeline.from_pretrained(model_id, unet=accelerator.unwrap_model(unet), torch_dtype=torch.float16)
image: Image.Image = pipe("a photo of an astronaut riding a horse").images[0]
image.save("sample.png")
