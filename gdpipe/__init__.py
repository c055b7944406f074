"""gdpipe: a reproducible gradient-descent laboratory.

The library is split into small modules with one job each; importing the package imports only
`kernels`, which pins the CPU kernels before numpy or torch start (and is cheap), so that the
Snakefile (which needs only `params` and `pipeline`) starts fast.
"""

from gdpipe import kernels  # noqa: F401  (first: it must run before numpy is imported)

__version__ = "0.1.0"
