from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import grad, jit, random, vmap


def init_mlp(sizes, key):
    keys = random.split(key, len(sizes))
    return [
        (random.normal(k, (m, n)) * jnp.sqrt(2.0 / m), jnp.zeros(n))
        for k, m, n in zip(keys, sizes[:-1], sizes[1:])
    ]


def predict(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params, x, y):
    logits = vmap(partial(predict, params))(x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


@jit
def update(params, opt_state, x, y):
    grads = grad(loss_fn)(params, x, y)
    updates, opt_state = optimizer.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state


optimizer = optax.adam(1e-3)
params = init_mlp([784, 512, 512, 10], random.PRNGKey(0))
opt_state = optimizer.init(params)
x = np.random.rand(256, 784).astype(np.float32)
y = np.random.randint(0, 10, 256)
for step in range(100):
    params, opt_state = update(params, opt_state, x, y)
print(loss_fn(params, x, y))
