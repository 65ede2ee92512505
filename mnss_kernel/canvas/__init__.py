"""The topology canvas: an ipycytoscape + ipywidgets editor that runs what it shows."""

from .editor import TopologyEditor
from .widget import TopologyCanvas

__all__ = ["TopologyCanvas", "TopologyEditor"]
