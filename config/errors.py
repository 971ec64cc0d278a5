"""The base of every error meant for a person rather than a traceback.

It lives in the bottom layer so that `recognizer`, `recommenders` and `training` can raise
it without importing `assistant`, whose CLI turns it into one red line and exit code 1.
"""


class UserError(Exception):
    """Something the user can fix: bad input, a missing file, a rejected key."""
