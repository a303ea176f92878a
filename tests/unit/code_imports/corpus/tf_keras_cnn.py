# TensorFlow 2 with the bundled Keras API (tf.keras): the code imports only tensorflow.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models
from tensorflow.keras.callbacks import EarlyStopping

import wandb
from wandb.integration.keras import WandbMetricsLogger

wandb.init(project="cifar10-tf", config={"epochs": 20, "batch_size": 128})
(x_train, y_train), (x_test, y_test) = tf.keras.datasets.cifar10.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

model = models.Sequential(
    [
        layers.Conv2D(32, 3, activation="relu", input_shape=(32, 32, 3)),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(10),
    ]
)
model.compile(
    optimizer=tf.keras.optimizers.Adam(1e-3),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(
    x_train,
    y_train,
    epochs=wandb.config.epochs,
    batch_size=wandb.config.batch_size,
    validation_data=(x_test, y_test),
    callbacks=[WandbMetricsLogger(), EarlyStopping(patience=3)],
)
print(np.mean(model.predict(x_test).argmax(-1) == y_test.ravel()))
