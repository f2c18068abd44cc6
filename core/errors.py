"""Errors a person can fix. Their message is shown as-is, so it must be friendly and say what to type instead."""


class UserError(Exception):
    """Bad input or a request that cannot be met; nothing was written."""



class SettingsError(Exception):
    """A setting from the environment cannot be used: the message names it and shows a good value."""
