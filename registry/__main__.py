"""`python -m registry` is the `registry` command."""
from .cli import main

main()
