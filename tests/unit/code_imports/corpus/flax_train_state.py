import jax
import jax.numpy as jnp
import ml_collections
import optax
import tensorflow_datasets as tfds
from flax import linen as nn
from flax.training import train_state
from clu import metric_writers


def get_config():
    config = ml_collections.ConfigDict()
    config.learning_rate = 0.1
    config.momentum = 0.9
    config.batch_size = 128
    config.num_epochs = 10
    return config


class CNN(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.Conv(features=32, kernel_size=(3, 3))(x)
        x = nn.avg_pool(nn.relu(x), window_shape=(2, 2), strides=(2, 2))
        x = x.reshape((x.shape[0], -1))
        return nn.Dense(features=10)(nn.relu(nn.Dense(features=256)(x)))


@jax.jit
def train_step(state, batch):
    def loss_fn(params):
        logits = state.apply_fn({"params": params}, batch["image"])
        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"]).mean()

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss


def train_and_evaluate(config, workdir):
    writer = metric_writers.create_default_writer(workdir)
    ds = tfds.as_numpy(tfds.load("mnist", split="train", batch_size=config.batch_size))
    model = CNN()
    params = model.init(jax.random.PRNGKey(0), jnp.ones([1, 28, 28, 1]))["params"]
    state = train_state.TrainState.create(
        apply_fn=model.apply, params=params, tx=optax.sgd(config.learning_rate, config.momentum)
    )
    for step, batch in enumerate(ds):
        state, loss = train_step(state, batch)
        writer.write_scalars(step, {"loss": loss})
    return state
