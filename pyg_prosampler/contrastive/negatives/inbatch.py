r"""In-batch negatives: the other instances of the batch."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from torch import Tensor, nn

from pyg_prosampler._validation import check_temperature
from pyg_prosampler.contrastive.losses import LOSSES


class InBatchNegatives(nn.Module):
    r"""The in-batch losses of :mod:`pyg_prosampler.contrastive.losses`
    (NT-Xent, DCL,
    HCL) behind the interface of the other negative samplers
    (:obj:`forward(z1, z2, index, encode=None)`), so a training loop swaps
    them with one argument.  Here the batch sampler alone decides the
    negatives.

    Args:
        loss (str, optional): :obj:`"infonce"`, :obj:`"dcl"` or
            :obj:`"hcl"`. (default: :obj:`"infonce"`)
        temperature (float, optional): (default: :obj:`0.2`)
    """

    def __init__(self, loss: str = "infonce",
                 temperature: float = 0.2) -> None:
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"`loss` must be one of {sorted(LOSSES)}, got "
                             f"{loss!r}")
        check_temperature(temperature)
        self.loss = loss
        self.temperature = temperature

    def forward(self, z1: Tensor, z2: Tensor, index: Optional[Tensor] = None,
                encode: Optional[Callable[[Tensor], Tensor]] = None
                ) -> Tensor:
        return LOSSES[self.loss](z1, z2, self.temperature)

    def params(self) -> Dict[str, Any]:
        r"""The knobs, for result records."""
        return {}
