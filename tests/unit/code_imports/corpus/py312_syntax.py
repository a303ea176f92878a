# Python 3.12 syntax (PEP 695 generics, type statement): a SyntaxError for a 3.11 parser.
from collections.abc import Sequence

import numpy as np
import torch

type Batch = tuple[torch.Tensor, torch.Tensor]


def first[T](items: Sequence[T]) -> T:
    return items[0]


class Buffer[T]:
    def __init__(self) -> None:
        self.items: list[T] = []

    def add(self, item: T) -> None:
        import einops
        self.items.append(item)


print(f"{'nested "quotes" are fine in 3.12'}", np.zeros(2))
