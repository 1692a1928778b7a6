"""The `apportion` command (and `python -m apportion`): the same command line as the Rust
binary, installed with the package."""

from __future__ import annotations

import sys

from ._apportion import _command


def main() -> None:
    """Runs the command line on this process's arguments and exits with its code."""
    sys.exit(_command(["apportion", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
