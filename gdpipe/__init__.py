"""gdpipe: a reproducible gradient-descent laboratory. Importing it imports only `kernels`."""

from gdpipe import kernels  # noqa: F401  (first: it must run before numpy is imported)

__version__ = "0.1.0"
