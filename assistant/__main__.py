"""`python -m assistant`, the same as the `assistant` command (torchrun and tests use it)."""

from assistant.cli import main

main()
