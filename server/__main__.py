"""`python -m server` is `syndic`."""

from server.cli import main

main()
