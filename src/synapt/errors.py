"""Errors shared by every stage."""


class UserError(Exception):
    """A problem the user can fix: printed by the CLI as one line, without a traceback.

    The message names the file, key or option at fault and the fix, e.g.
    ``UCF101 split file trainlist04.txt not found under /data/ucf101/ucfTrainTestlist
    (splits are 1, 2, 3)``.
    """
