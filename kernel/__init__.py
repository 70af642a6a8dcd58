"""Pure code shared by the write and read sides: event schemas, projection contract, clocks.

Imports nothing from either side and no web framework.
"""
