r"""In-batch negatives: the other instances of the batch."""
from __future__ import annotations

from typing import Callable, Optional

from torch import Tensor

from pyg_prosampler._validation import check_temperature
from pyg_prosampler.contrastive.losses import nt_xent
from pyg_prosampler.contrastive.negatives.base import Encode, Negatives

__all__ = ["InBatchNegatives"]


class InBatchNegatives(Negatives):
    r"""An in-batch loss of :mod:`pyg_prosampler.contrastive.losses`
    (:func:`~pyg_prosampler.contrastive.losses.nt_xent`,
    :func:`~pyg_prosampler.contrastive.losses.dcl`,
    :func:`~pyg_prosampler.contrastive.losses.hcl`, or any function
    :obj:`loss(z1, z2, temperature)`) behind the interface of the other
    negative samplers (:class:`Negatives`), so a training loop swaps them
    with one argument.  Here the batch sampler alone decides the
    negatives; :obj:`index` and :obj:`encode` are unused.

    .. code-block:: python

        negatives = InBatchNegatives(dcl, temperature=0.2)
        loss = negatives(z1, z2, batch.idx)

    Names (:obj:`"infonce"`, :obj:`"dcl"`, :obj:`"hcl"`) are resolved by
    :func:`pyg_prosampler.contrastive.registry.make_negatives`.

    Args:
        loss (callable, optional): The in-batch loss.
            (default:
            :func:`~pyg_prosampler.contrastive.losses.nt_xent`)
        temperature (float, optional): (default: :obj:`0.2`)
    """

    def __init__(self, loss: Callable[[Tensor, Tensor, float], Tensor] =
                 nt_xent, temperature: float = 0.2) -> None:
        super().__init__()
        if not callable(loss):
            raise TypeError(
                f"`loss` must be an in-batch loss function such as nt_xent, "
                f"dcl or hcl, got {loss!r} (make_negatives in "
                f"pyg_prosampler.contrastive.registry resolves names)")
        check_temperature(temperature)
        self.loss = loss
        self.temperature = temperature

    def forward(self, z1: Tensor, z2: Tensor, index: Optional[Tensor] = None,
                encode: Optional[Encode] = None) -> Tensor:
        return self.loss(z1, z2, self.temperature)

    def extra_repr(self) -> str:
        name = getattr(self.loss, "__name__", type(self.loss).__name__)
        return f"loss={name}, temperature={self.temperature}"
