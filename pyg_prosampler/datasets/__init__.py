from pyg_prosampler.datasets.tu import OneHotCappedDegree, load_tu

__all__ = ["load_tu", "OneHotCappedDegree"]
