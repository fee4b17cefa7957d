"""``python -m geoprospect`` runs the command line."""

from geoprospect.cli import main

main()
