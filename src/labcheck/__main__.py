"""`python -m labcheck`: the same as the `labcheck` script."""

from labcheck.cli import main

if __name__ == "__main__":
    main()
