# Curly quotes pasted from Word: “quoted” – no coding cookie
import keras
from sklearn import metrics
NAME = ‘model’
