from __future__ import absolute_import, division, print_function
from __future__ import annotations

import os.path
import xml.etree.ElementTree as ET
import numpy.linalg as la
import a.b as c
import tensorflow.compat.v1 as tf1, scipy.sparse as sp
from concurrent.futures import ProcessPoolExecutor
from google.protobuf import text_format
from PIL import Image as PILImage
import importlib.metadata

tf1.disable_v2_behavior()
print(la.norm([3, 4]), ET.Element("x"), sp.eye(2), text_format, PILImage, c, os.path.sep, ProcessPoolExecutor)
print(importlib.metadata.version("numpy"))
