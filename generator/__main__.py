"""``python -m generator`` is ``bookgen``."""

from .cli import main

main()
