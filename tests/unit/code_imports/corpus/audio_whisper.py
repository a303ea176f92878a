import librosa
import soundfile as sf
import torch
import torchaudio
from transformers import WhisperForConditionalGeneration, WhisperProcessor

processor = WhisperProcessor.from_pretrained("openai/whisper-small")
model = WhisperForConditionalGeneration.from_pretrained("openai/whisper-small").eval()

waveform, sr = torchaudio.load("sample.flac")
if sr != 16000:
    waveform = torchaudio.functional.resample(waveform, sr, 16000)
speech, _ = librosa.effects.trim(waveform.squeeze().numpy())
sf.write("trimmed.wav", speech, 16000)
with torch.no_grad():
    ids = model.generate(processor(speech, sampling_rate=16000, return_tensors="pt").input_features)
print(processor.batch_decode(ids, skip_special_tokens=True))
