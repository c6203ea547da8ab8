"""Go behaviour reproduced in Python, one module per Go package.

Each module opens with the Go package and version it follows, and keeps the order of the
Go source so that a reader can open the two side by side. Nothing here imports from
``ignition``, ``butane``, the images or embed layers, or the CLI.
"""
