import tensorflow as tf
import tensorflow.compat.v1 as tf1
from tensorflow.python.client import device_lib
from official.nlp import optimization
import tensorflow_text  # registers ops needed by the preprocessing model

resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu="")
tf.config.experimental_connect_to_cluster(resolver)
tf.tpu.experimental.initialize_tpu_system(resolver)
strategy = tf.distribute.TPUStrategy(resolver)
print(device_lib.list_local_devices(), tf1.__name__)
with strategy.scope():
    model = tf.keras.applications.EfficientNetB0(weights=None, classes=100)
    model.compile(optimizer=optimization.create_optimizer(3e-4, 10000, 1000), loss="sparse_categorical_crossentropy")
