from pyg_prosampler.cli import main

main()
