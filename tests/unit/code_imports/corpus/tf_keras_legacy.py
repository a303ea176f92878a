"""TF 2.16+ ships Keras 3; code that needs Keras 2 imports tf_keras explicitly."""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import tensorflow as tf
import tf_keras
from tf_keras import layers
import wandb
from wandb.integration.keras import WandbMetricsLogger

run = wandb.init(project="legacy-keras")
model = tf_keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
x = tf.random.normal((512, 16))
y = tf.reduce_sum(x, axis=1, keepdims=True)
model.fit(x, y, epochs=5, callbacks=[WandbMetricsLogger()])
run.finish()
