"""One exception type for everything a user can get wrong.

The CLI turns a SmallnetsError into a one-line message and exit code 2; anything else is a bug and keeps its traceback.
"""


class SmallnetsError(Exception):
    """Bad input: unknown name, malformed value, missing or corrupt file. The message is shown to the user as is."""


class DataError(SmallnetsError):
    """A dataset file is missing, truncated, corrupt or not what it claims to be."""
