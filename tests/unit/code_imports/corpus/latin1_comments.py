# -*- coding: latin-1 -*-
# Entraînement du modèle (réseau de neurones) -- écrit en 2019
import torch
import torchvision

LABEL = 'catégorie'
