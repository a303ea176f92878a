# Saved by Notepad on Windows: starts with a UTF-8 BOM.
import torch
import pandas as pd

print('données', torch.__version__, pd.__version__)
