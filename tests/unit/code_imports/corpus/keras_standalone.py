import keras
from keras import layers
from keras.datasets import mnist
from keras.utils import to_categorical
import numpy as np
import wandb
from wandb.keras import WandbCallback

num_classes = 10
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
y_train, y_test = to_categorical(y_train, num_classes), to_categorical(y_test, num_classes)

wandb.init(project="keras-mnist")
model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1, callbacks=[WandbCallback()])
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
