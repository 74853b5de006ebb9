"""Checkers: exact equivalence, the theorem table and bound checks.

They return results and never assert; the tests assert on what they return.
"""
