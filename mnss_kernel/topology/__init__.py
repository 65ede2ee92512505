"""The topology model and what is derived from it (validation, build plan, formats, the loader)."""

from .formats.common import Imported
from .loader import load
from .model import Link, Node, Topology, TopologyError
from .plan import Plan, plan

__all__ = ["Imported", "Link", "Node", "Plan", "Topology", "TopologyError", "load", "plan"]
