"""Textbook ReLU constructions, each an exact :class:`cpa.ReLUNetwork` naming the theorem it realises."""

from __future__ import annotations

from .sawtooth import sawtooth as sawtooth
