"""The topology model and what is derived from it (validation, build plan, conversions)."""

from .model import Link, Node, Topology, TopologyError
from .plan import Plan, plan

__all__ = ["Link", "Node", "Plan", "Topology", "TopologyError", "plan"]
