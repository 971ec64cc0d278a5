"""The one fixed order of the seven FER-2013 emotions.

Every probability vector in the project, every weights file and every database row uses
this order; it is alphabetical, which is also the order of the class folders that most
people download FER-2013 in, so folder datasets map onto it without a lookup table.
"""

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
