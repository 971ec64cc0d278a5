"""Every renderer: the live dashboard and video overlay, reports in the terminal and as PNG
plots, the tables of suggestions, recognition and benchmarks, and the mood colours they share.
Nothing is computed here that a command could not print as JSON instead."""
