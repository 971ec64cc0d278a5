"""The live session: a source's frames through the recognizer and the mood tracker into the database.

`loop` is the frame loop, `suggestions` fetches suggestions beside it, `stop` ends it on
request, and `bench` measures it.
"""
