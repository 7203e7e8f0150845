r"""The contrastive toolkit: encoders and their models (GraphCL, MVGRL,
GRACE), GraphCL's augmentations, in-batch losses, and the negative samplers
that replace them (Ring, SogCLR, EMC²).  The core (samplers, loaders,
proximity graphs) does not need it."""
