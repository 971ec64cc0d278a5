"""The live session: a source's frames through the recognizer and the mood tracker into the database.

`sources` gives the frames (camera, video, images), `loop` runs them through the recognizer
and `tracker`, `suggestions` fetches suggestions beside it, `feedback` takes the person's
ratings, `stop` ends it on request, and `calibration` watches a resting face the same way.
"""
