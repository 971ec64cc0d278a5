"""Everything a session leaves behind, in one SQLite file.

`models` describes the tables, `migrations` creates and upgrades them, `database` finds and
opens the file, `recorder` is the live session's writer and `forget` deletes for good.
"""
