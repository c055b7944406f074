"""gdpipe: a reproducible gradient-descent laboratory.

The library is split into small modules with one job each; importing the package imports none
of them, so that the Snakefile (which needs only `params` and `pipeline`) starts fast.
"""

__version__ = "0.1.0"
