"""The error types gdpipe raises for bad input; scripts turn them into one message and exit 2."""


class GdpipeError(ValueError):
    """Bad input the user can fix: the message names the key or file and what is allowed."""


class ParamsError(GdpipeError):
    """params.yaml is malformed or holds a value outside what is allowed."""


class DataError(GdpipeError):
    """A data file is missing, malformed or too small."""


class CheckpointError(GdpipeError):
    """A checkpoint file is unreadable, foreign, or for another model."""


class DeviceError(GdpipeError):
    """The requested device is not available on this machine."""
