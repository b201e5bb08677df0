"""Benchmarks: scripts that build large states and measure Hamkori against them (see README.md)."""
