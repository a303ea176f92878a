import functools

import tensorflow as tf
import tensorflow_datasets as tfds
import tensorflow_hub as hub
from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_string("handle", "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/5", "TF Hub model.")

AUTOTUNE = tf.data.AUTOTUNE


def preprocess(example, size=224):
    image = tf.image.resize(example["image"], (size, size)) / 255.0
    return image, example["label"]


def main(argv):
    del argv
    ds, info = tfds.load("tf_flowers", split="train", with_info=True)
    ds = ds.map(functools.partial(preprocess), num_parallel_calls=AUTOTUNE).batch(FLAGS.batch_size).prefetch(AUTOTUNE)
    model = tf.keras.Sequential(
        [hub.KerasLayer(FLAGS.handle, trainable=False), tf.keras.layers.Dense(info.features["label"].num_classes)]
    )
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ds, epochs=3)


if __name__ == "__main__":
    app.run(main)
