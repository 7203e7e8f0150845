r"""The experiment layer: training loops, evaluation protocols, records
and the command line; the library does not need it."""
