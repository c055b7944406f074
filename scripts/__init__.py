"""The pipeline's commands, run as `python -m scripts.<step>`."""

import gdpipe  # noqa: F401  (first: it pins the CPU kernels before a script imports numpy)
