"""`python -m provisioner` runs the `provision` command."""

from provisioner.cli.main import main

main()
