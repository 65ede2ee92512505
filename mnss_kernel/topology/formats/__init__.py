"""Topology formats other than MNSS's own: one module per format, each a pure conversion.

- `cytoscape`: cytoscape.js JSON, as the canvas draws it (lossless both ways).
- `mininet`: Mininet `Topo` objects and custom topology files into the model.
- `mininet_file`: the model as a Mininet custom topology file.
- `containerlab`: containerlab topology files, both ways.
- `inventory`: a hospital's device-and-link sheet (.xlsx, or NAME.devices.csv + NAME.links.csv).

Every import ends in `Topology.from_dict`, so a result is always a fully checked topology; bad
input raises TopologyError with one line per problem, naming the node, edge or link. The importers
return `Imported` (topology + notes as data); `mnss_kernel.topology.load` picks the format.
"""

from .common import ConversionWarning, Imported
from .containerlab import from_containerlab, import_containerlab, to_containerlab
from .cytoscape import from_cytoscape, import_cytoscape, to_cytoscape
from .inventory import import_inventory, load_inventory
from .mininet import (
    from_mininet,
    import_mininet,
    import_mininet_file,
    load_mininet_file,
)
from .mininet_file import to_mininet_python

__all__ = [
    "ConversionWarning",
    "Imported",
    "from_containerlab",
    "from_cytoscape",
    "from_mininet",
    "import_containerlab",
    "import_cytoscape",
    "import_inventory",
    "import_mininet",
    "import_mininet_file",
    "load_inventory",
    "load_mininet_file",
    "to_containerlab",
    "to_cytoscape",
    "to_mininet_python",
]
