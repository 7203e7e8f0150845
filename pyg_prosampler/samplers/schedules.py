r"""Schedules of the restart probability over epochs."""
from __future__ import annotations

from dataclasses import dataclass

from pyg_prosampler._validation import check_restart_prob

__all__ = ["AnnealedRestartProb"]


@dataclass(frozen=True)
class AnnealedRestartProb:
    r"""Linearly decaying restart probability, as the ProSampler code:
    :math:`\alpha_e = \max(\text{minimum}, \text{start} - \text{decay}
    \cdot e)`.  Pass an instance as :obj:`restart_prob` of
    :class:`ProximityBatchSampler`.

    .. code-block:: python

        sampler = ProximityBatchSampler(
            len(dataset), 128, restart_prob=AnnealedRestartProb(0.2, 0.02))

    Args:
        start (float, optional): :math:`\alpha_0`. (default: :obj:`0.2`)
        decay (float, optional): Decrease per epoch. (default: :obj:`0.02`)
        minimum (float, optional): Floor. (default: :obj:`0.05`)
    """

    start: float = 0.2
    decay: float = 0.02
    minimum: float = 0.05

    def __post_init__(self) -> None:
        check_restart_prob(self.start, "start")
        check_restart_prob(self.minimum, "minimum")
        if self.decay < 0:
            raise ValueError(f"`decay` must be >= 0, got {self.decay}")

    def __call__(self, epoch: int) -> float:
        return max(self.minimum, self.start - self.decay * epoch)
