r"""Negative samplers behind one interface,
:obj:`loss = negatives(z1, z2, batch.idx, encode=None)`: in-batch (the batch
sampler decides), Ring (a similarity band of a bank or of the batch),
SogCLR (global loss, moving-average estimator) and EMC² (global loss,
Metropolis-Hastings negatives)."""
from pyg_prosampler.contrastive.negatives.emc2 import EMC2Loss, mh_sweep
from pyg_prosampler.contrastive.negatives.inbatch import InBatchNegatives
from pyg_prosampler.contrastive.negatives.ring import (
    RingNegatives,
    annealed_outer,
    ring_mask,
)
from pyg_prosampler.contrastive.negatives.sogclr import SogCLRLoss

NEGATIVES = ("inbatch", "ring", "sogclr", "emc2")

__all__ = [
    "NEGATIVES",
    "InBatchNegatives",
    "RingNegatives",
    "SogCLRLoss",
    "EMC2Loss",
    "mh_sweep",
    "ring_mask",
    "annealed_outer",
]
