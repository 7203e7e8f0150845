r"""``python -m pyg_prosampler <command> ...``: see
:mod:`pyg_prosampler.experiments.cli`."""
from pyg_prosampler.experiments.cli import main

if __name__ == "__main__":
    main()
