"""Training and evaluation of the emotion classifier on FER-2013 and folder datasets."""
