r"""Negative samplers behind one interface (:class:`Negatives`),
:obj:`loss = negatives(z1, z2, batch.idx, encode=None)`: in-batch (the batch
sampler decides), Ring (a similarity band of a bank or of the batch),
SogCLR (global loss, moving-average estimator) and EMC² (global loss,
Metropolis-Hastings negatives).  Their names, and the factory that builds
one by name, are in :mod:`pyg_prosampler.contrastive.registry`."""
from pyg_prosampler.contrastive.negatives.base import Encode, Negatives
from pyg_prosampler.contrastive.negatives.emc2 import EMC2Loss, mh_sweep
from pyg_prosampler.contrastive.negatives.inbatch import InBatchNegatives
from pyg_prosampler.contrastive.negatives.ring import (
    ANNEALING,
    POOLS,
    RingNegatives,
    annealed_outer,
    ring_mask,
)
from pyg_prosampler.contrastive.negatives.sogclr import SogCLRLoss

__all__ = [
    "Encode",
    "Negatives",
    "InBatchNegatives",
    "RingNegatives",
    "SogCLRLoss",
    "EMC2Loss",
    "mh_sweep",
    "ring_mask",
    "annealed_outer",
    "ANNEALING",
    "POOLS",
]
