"""The ``auralis-dsp`` command line: ``auralis-dsp features MUSIC_DIR -o features.parquet``.

Needs the ``batch`` extra (dask[distributed], pyarrow, soundfile, soxr,
matplotlib); librosa is not used.
"""
from __future__ import annotations

import argparse

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from .. import __version__
    from . import features

    parser = argparse.ArgumentParser(
        prog="auralis-dsp",
        description="auralis-dsp: librosa's slow calls on TypeScript kernels. Subcommands work over music "
        "libraries; `auralis-dsp COMMAND --help` explains each.",
    )
    parser.add_argument("--version", action="version", version=f"auralis-dsp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    features.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.func(args)
