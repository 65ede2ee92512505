"""Conversions between the topology model and other formats (the names this module has always had).

The code lives in `topology.formats` (one module per format) and `topology.loader` (reading and
writing files in any format); this module keeps the public names importable from here.
"""

from .formats.common import (
    EXTRA_NODE_FIELDS as _EXTRA_NODE_FIELDS,
    LINK_FIELDS,
    NODE_FIELDS,
    TOPOLOGY_FIELDS,
    ConversionWarning,
    Imported,
)
from .formats.containerlab import (
    CLAB_HOST_KINDS,
    CLAB_SWITCH_KINDS,
    DEFAULT_IMAGE,
    from_containerlab,
    to_containerlab,
)
from .formats.cytoscape import (
    EDGE_PRESENTATION,
    NODE_PRESENTATION,
    from_cytoscape,
    to_cytoscape,
)
from .formats.mininet import (
    MININET_PREFIX,
    _with_prefix,
    from_mininet,
    load_mininet_file,
)
from .formats.mininet_file import to_mininet_python
from .loader import FORMATS, format_of, load, read_file, write_file

__all__ = [
    "CLAB_HOST_KINDS",
    "CLAB_SWITCH_KINDS",
    "DEFAULT_IMAGE",
    "EDGE_PRESENTATION",
    "FORMATS",
    "LINK_FIELDS",
    "MININET_PREFIX",
    "NODE_FIELDS",
    "NODE_PRESENTATION",
    "TOPOLOGY_FIELDS",
    "_EXTRA_NODE_FIELDS",
    "ConversionWarning",
    "Imported",
    "_with_prefix",
    "format_of",
    "from_containerlab",
    "from_cytoscape",
    "from_mininet",
    "load",
    "load_mininet_file",
    "read_file",
    "to_containerlab",
    "to_cytoscape",
    "to_mininet_python",
    "write_file",
]
