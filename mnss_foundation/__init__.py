"""The bottom layer: helpers every package of the project may import.

It imports nothing of the project, so it can never pull a higher layer in (the import contract
in pyproject.toml checks this).
"""
