"""`python -m citewise`: the same command line as `citewise`."""

from citewise.cli.main import main

main()
