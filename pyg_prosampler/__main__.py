from pyg_prosampler.experiments.cli import main

main()
