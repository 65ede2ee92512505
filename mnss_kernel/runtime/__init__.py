"""Running topologies as real emulated networks (network namespaces, veth, Linux bridges)."""

from .lab import Lab
from .shell import CommandResult, EngineError

__all__ = ["CommandResult", "EngineError", "Lab"]
