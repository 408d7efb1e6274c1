"""The one exception data readers raise for bad input."""


class DataError(ValueError):
    """Missing, corrupt or inconsistent data; the message names the file and the fix."""
