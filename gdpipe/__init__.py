"""gdpipe: a reproducible gradient-descent laboratory.

Importing the package imports only `kernels` (cheap), which pins the CPU kernels before numpy or
torch start, so the Snakefile (which needs only `params` and `pipeline`) starts fast.
"""

from gdpipe import kernels  # noqa: F401  (first: it must run before numpy is imported)

__version__ = "0.1.0"
