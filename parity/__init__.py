"""Parity harness: librosa 0.11.0 beside auralis_dsp, in numbers (docs/parity.md)."""
