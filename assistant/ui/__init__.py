"""Rich renderings of what the commands produce; no computation happens here."""
