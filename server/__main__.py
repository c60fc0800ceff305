"""`python -m server` is `syndic`."""

from server.entry import main

main()
