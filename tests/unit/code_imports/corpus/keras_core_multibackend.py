import os

os.environ["KERAS_BACKEND"] = "jax"  # must be set before keras_core is imported

import keras_core as keras
import numpy as np
from keras_core import layers

inputs = keras.Input(shape=(784,))
x = layers.Dense(256, activation="relu")(inputs)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
x_train = np.random.rand(1024, 784).astype("float32")
y_train = np.random.randint(0, 10, size=(1024,))
model.fit(x_train, y_train, epochs=2, batch_size=64)
