"""TopologyCanvas: draw a network, run it as a real emulation, see its state and measurements.

The canvas is a view of one TopologyEditor (the model is the single source of truth): every
button and click goes through the editor or the running Lab, and every model change redraws
the graph. The same object is the Python API: `canvas.add_node("host")`, `canvas.run()`,
`canvas.ping_all()` do what the buttons do, and `canvas.topology` reflects what was drawn.
"""

from __future__ import annotations

import html
import threading
import time
from collections import Counter
from pathlib import Path

import ipywidgets as w
import pandas as pd
import traitlets
from ipycytoscape import CytoscapeWidget, Edge, Node
from IPython.display import HTML, FileLink, display

from .. import faults, measure, templates
from ..catalog import KINDS, role
from ..diagnose import Diagnosis, diagnose as diagnose_lab
from ..runtime import CommandResult, EngineError, Lab
from ..topology import Topology, TopologyError, load as load_topology
from ..topology.convert import to_cytoscape, write_file
from . import heatgrid, keep, render, results
from .browser_layouts import BROWSER_LAYOUTS, browser_layout
from .editor import TopologyEditor
from .form import FORM_KINDS, LINK_FORM, NODE_FORM, PARSE_ERROR, parse, problem_field
from .groups import buildings, regions
from .i18n import Labels, current_language
from .layout import ViewBox, fit_scale, host_blocks, place_missing, tiered
from .style import cytoscape_style, load_level


def _as_topology(source) -> tuple[Topology | None, Path | None]:
    """A Topology, its dict, a file, or a bundled template's name ("ward", "ward.yaml")."""
    if source is None:
        return None, None
    if isinstance(source, Topology):
        return source, None
    if isinstance(source, dict):
        return Topology.from_dict(source), None
    template = templates.template_named(source)
    if template is not None:
        return template, None
    if not Path(source).exists():
        raise FileNotFoundError(
            f"no topology file {str(source)!r}, and no bundled template of that name; "
            f"templates: {', '.join(sorted(templates.TEMPLATES))}"
        )
    return load_topology(source).topology, Path(source)


class Refusal(Exception):
    """An action the canvas refuses, with the text to show already in the user's language."""


INVALID_COLOUR = "#d55e00"  # Okabe-Ito vermilion, as for a link that is down

ZOOM_STEP, WHEEL_SENSITIVITY = 1.25, 0.2
LOAD_INTERVAL = 0.5  # seconds between two looks at the links' byte counters during a throughput test
READABLE_ZOOM = 0.5  # below this, 11 px labels are under 6 px on screen
GROUP_FROM = 200  # from this many nodes on, hosts are drawn in one box per switch (see layout.host_blocks)
GROUP = "hosts:"  # id prefix of those boxes; a node name cannot contain ':'
SITE = "site:"  # id prefix of a building's box (see groups.buildings)
REGION = "region:"  # id prefix of a region's box (see groups.regions)
BUILDINGS_FROM = 2  # buildings are boxed by default when the drawing has this many


GROUP_TITLES = {  # the grouped ping table's title, by grouping (results.GROUPINGS)
    "switch": "group_loss_title",
    "building": "building_loss_title",
    "subnet": "subnet_loss_title",
    "vlan": "vlan_loss_title",
}


def _is_box(element_id: str) -> bool:
    return element_id.startswith((GROUP, SITE, REGION))


def _owner(element_id: str) -> str:
    """The node a box stands for (its switch or router); a node's own name otherwise."""
    return element_id.split(":", 1)[1] if _is_box(element_id) else element_id


class TopologyCanvas(w.VBox):
    # The drawing, kept in the widget state JupyterLab saves into the notebook (see keep.py).
    mnss_drawing = traitlets.Dict().tag(sync=True)
    mnss_key = traitlets.Unicode("canvas").tag(sync=True)
    mnss_saved_at = traitlets.Float(0.0).tag(sync=True)

    def __init__(
        self,
        topology=None,
        *,
        language: str | None = None,
        max_nodes: int | None = None,
        arrange: bool | None = None,
        group_hosts: bool | None = None,
        key: str = "canvas",
        **kwargs,
    ):
        """`arrange` lays the network out in tiers on opening; by default only a bundled template
        opened by name that would be too small to read in the canvas is (its positions are a
        default, not someone's drawing).

        Without `topology`, the last drawing of the canvas named `key` saved in this notebook is
        brought back; give each canvas of a notebook its own `key`.

        `group_hosts` draws the hosts hanging off a switch in one box under it, with one line to
        the box instead of one per host; by default from `GROUP_FROM` nodes on."""
        restored = None
        if topology is None:
            notebook = keep.notebook_path()
            restored = keep.saved_drawing(notebook, key) if notebook else None
            topology = restored
        topo, path = _as_topology(topology)
        if arrange is None:
            by_name = isinstance(topology, str | Path) and path is None
            arrange = by_name and fit_scale(place_missing(topo)) < READABLE_ZOOM
        if topo is not None:
            topo = tiered(topo) if arrange else place_missing(topo)
        self.editor = TopologyEditor(topo)
        self.t = Labels(language or current_language())
        self.path = path or Path("topology.yaml")
        self.import_notes: list[str] = []
        self.max_nodes = max_nodes
        self.lab: Lab | None = None
        self.last_pings: pd.DataFrame | None = None
        self.last_diagnosis: Diagnosis | None = None
        self._groups: dict[str, str] = {}
        self._results_shown = False
        self._picks: list[str] = []
        self._selection: tuple[str, ...] = ()
        self._node_widgets: dict[str, Node] = {}
        self._edge_widgets: dict[tuple[str, str], Edge] = {}
        self._blocks: dict[str, str] = {}  # grouped host -> its switch, as drawn now
        self._sites: dict[str, str] = {}  # building member -> its router, as drawn now
        self._regions: dict[str, str] = {}  # region member -> its router, as drawn now
        self._collapsed: set[str] = set()  # ids of the boxes drawn as one node
        self._shape: tuple | None = None  # what is in which box, as drawn now
        self._drawn_as: dict[str, tuple[str, str]] = {}  # link "a-b" -> the line drawn for it
        self._captions: dict[tuple[str, str], str] = {}  # each drawn line's own caption
        self._load: dict[tuple[str, str], int] = {}  # drawn line -> load level, while a test runs
        self._browser_layout: str | None = None  # a cytoscape.js layout arranging the view, if chosen
        self._choosing = False  # the layout list is being set from here, not by the user
        if group_hosts is None:
            group_hosts = topo is not None and len(topo.nodes) >= GROUP_FROM

        self.graph = CytoscapeWidget()
        self.graph.set_style(cytoscape_style())
        self.view = ViewBox(760, 480, shrink=False)
        self.graph.set_layout(name="preset", fit=False)
        self.graph.zoom = 1.0
        self.graph.wheel_sensitivity = WHEEL_SENSITIVITY
        self.graph.min_zoom, self.graph.max_zoom = 0.02, 4.0
        self._zoom = 1.0
        self.graph.layout = w.Layout(
            height=f"{self.view.height}px", width=f"{self.view.width}px", border="1px solid #d0d7de"
        )
        self.graph.on("node", "tap", self._on_node_tap)
        self.graph.on("edge", "tap", self._on_edge_tap)
        self.graph.on("node", "tapend", self._on_node_release)

        self._build_controls()
        self.group_toggle.value = group_hosts
        self.building_toggle.value = topo is not None and len(set(buildings(topo).values())) >= BUILDINGS_FROM
        if self.building_toggle.value:  # a regional network opens folded: its regions, sites and floors
            self._collapsed = self._region_boxes()
        self._show_layout_choice("tiers" if arrange else "drawn")
        drawing = w.VBox([self.viewbar, self.graph])
        middle = w.HBox([drawing, self.panel], layout=w.Layout(flex_flow="row wrap"))
        results_area = [self.message, self.stale_note, self.drill, self.output]
        rows = [self.toolbar, self.keybar, middle, self.runbar, *results_area, self.cmdbar]
        super().__init__(children=rows, **kwargs)
        self.add_class("mnss-canvas")
        self.editor.listeners.append(lambda _t: self._redraw())
        self.editor.listeners.append(lambda _t: self._mark_stale())
        self.editor.listeners.append(lambda _t: self._keep())
        self.mnss_key = key
        self._keep()
        self._redraw()
        self.reset_view()
        self._show_selection()
        _fill_tooltips(self)
        if restored:
            self._say(self.t("restored"))

    # -- controls -----------------------------------------------------------------------------
    def _button(self, key: str, handler, style: str = "", icon: str = "") -> w.Button:
        button = w.Button(
            description=self.t(key), button_style=style, icon=icon, layout=w.Layout(width="auto", min_width="64px")
        )
        button.add_class(f"mnss-{key.replace('_', '-')}")
        button.on_click(lambda _b: self._guard(handler))
        return button

    def _build_controls(self) -> None:
        label = (lambda k: k.label_zh) if self.t.language == "zh-CN" else (lambda k: k.label_en)
        self.kind_picker = w.Dropdown(
            options=[(label(k), k.name) for k in KINDS.values()],
            value="host",
            description=self.t("kind"),
            layout=w.Layout(width="230px"),
        )
        self.kind_picker.add_class("mnss-kind")
        self.connect_toggle = w.ToggleButton(
            description=self.t("connect"), icon="link", layout=w.Layout(width="auto", min_width="64px")
        )
        self.connect_toggle.add_class("mnss-connect")
        self.connect_toggle.observe(lambda ch: self._set_connect_mode(ch["new"]), "value")
        self.group_toggle = w.ToggleButton(
            description=self.t("group_hosts"), icon="object-group", layout=w.Layout(width="auto", min_width="64px")
        )
        self.group_toggle.add_class("mnss-group-hosts")
        self.group_toggle.observe(lambda _ch: self._guard(self._redraw) if self._node_widgets else None, "value")
        self.building_toggle = w.ToggleButton(
            description=self.t("group_buildings"), icon="building", layout=w.Layout(width="auto", min_width="64px")
        )
        self.building_toggle.add_class("mnss-group-buildings")
        self.building_toggle.observe(lambda _ch: self._guard(self._redraw) if self._node_widgets else None, "value")
        self.file_box = w.Text(
            value=str(self.path),
            description=self.t("file"),
            layout=w.Layout(width="280px"),
            tooltip=self.t("file_formats"),
        )
        self.toolbar = w.HBox(
            layout=w.Layout(flex_flow="row wrap"),
            children=[
                self.kind_picker,
                self._button("add", lambda: self.add_node(self.kind_picker.value), icon="plus"),
                self.connect_toggle,
                self._button("delete", self._delete_selection, icon="trash"),
                self._button("undo", self.undo, icon="undo"),
                self.file_box,
                self._button("save", lambda: self.save(self.file_box.value), icon="save"),
                self._button("load", lambda: self.load(self.file_box.value), icon="folder-open"),
            ],
        )
        # The same edits without a mouse: type a node's name (Enter or Tab takes it), then Tab to a
        # button and press Enter or Space. Plain text boxes: JupyterLab takes the keys typed into a
        # <select> as notebook shortcuts, and a completing Combobox took "b1d1" while "b1d1w1" was
        # being typed. Taken on Enter or Tab only, for the same reason.
        names = {"continuous_update": False, "placeholder": self.t("type_name"), "layout": w.Layout(width="230px")}
        self.node_select = w.Text(description=self.t("select"), **names)
        self.node_select.add_class("mnss-select")
        self.node_select.observe(self._on_typed_selection, "value")
        self.connect_to = w.Text(description=self.t("connect_to"), **names)
        self.connect_to.add_class("mnss-connect-to")
        self.keybar = w.HBox(
            layout=w.Layout(flex_flow="row wrap"),
            children=[
                self.node_select,
                self.connect_to,
                self._button("connect_selected", self._connect_selected, icon="link"),
            ],
        )
        self.progress = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="180px"))
        self.iperf_from = w.Dropdown(layout=w.Layout(width="110px"))
        self.iperf_to = w.Dropdown(layout=w.Layout(width="110px"))
        self.iperf_from.add_class("mnss-iperf-from")
        self.iperf_to.add_class("mnss-iperf-to")
        self.runbar = w.HBox(
            layout=w.Layout(flex_flow="row wrap"),
            children=[
                self._button("run", self.run, "success", "play"),
                self._button("stop", self.stop, "danger", "stop"),
                self.progress,
                self._button("ping_all", self.ping_all, icon="exchange"),
                self.iperf_from,
                self.iperf_to,
                self._button(
                    "iperf", lambda: self.iperf(self.iperf_from.value, self.iperf_to.value), icon="tachometer"
                ),
                self._button("diagnose", self.diagnose, icon="stethoscope"),
            ],
        )
        self.message = w.HTML()
        self.message.add_class("mnss-message")
        self.output = w.Output()
        self.output.add_class("mnss-output")
        self.stale_note = w.HTML()
        self.stale_note.add_class("mnss-stale-note")
        self.drill_from = w.Dropdown(description=self.t("drill_from"), layout=w.Layout(width="260px"))
        self.drill_to = w.Dropdown(description=self.t("drill_to"), layout=w.Layout(width="260px"))
        for box in (self.drill_from, self.drill_to):
            box.style = {"description_width": "80px"}
            box.observe(lambda _ch: self._show_block(), "value")
        self.drill_from.add_class("mnss-drill-from")
        self.drill_to.add_class("mnss-drill-to")
        self.drill_detail = w.HTML()
        self.drill_detail.add_class("mnss-drill-detail")
        self.group_title = w.HTML()
        self.group_by = w.ToggleButtons(
            options=[(self.t(f"by_{by}"), by) for by in results.GROUPINGS],
            description=self.t("group_by"),
            style={"button_width": "auto"},
        )
        self.group_by.add_class("mnss-group-by")
        self.group_by.observe(lambda _ch: self._show_groups(), "value")
        self.group_grid = w.HBox()  # the clickable table of groups (heatgrid.loss_grid) and its scale
        self.drill = w.VBox(layout=w.Layout(display="none"))
        self.drill.children = [
            self.group_by,
            self.group_title,
            self.group_grid,
            w.HBox([self.drill_from, self.drill_to]),
            self.drill_detail,
        ]
        self.layout_picker = w.Dropdown(
            options=[(self.t(f"layout_{name}"), name) for name in ("drawn", "tiers", *BROWSER_LAYOUTS)],
            value="drawn",
            description=self.t("layout"),
            layout=w.Layout(width="250px"),
            style={"description_width": "40px"},
        )
        self.layout_picker.add_class("mnss-layout")
        self.layout_picker.observe(self._on_layout_choice, "value")
        self.viewbar = w.HBox(
            [
                self.layout_picker,
                self._button("fit", self.fit, icon="arrows-alt"),
                self._button("zoom_in", lambda: self.zoom_by(ZOOM_STEP), icon="search-plus"),
                self._button("zoom_out", lambda: self.zoom_by(1 / ZOOM_STEP), icon="search-minus"),
                self._button("reset_view", self.reset_view, icon="home"),
                self._button("arrange", self.arrange, icon="sitemap"),
                self.group_toggle,
                self.building_toggle,
                self._button("collapse_all", self.collapse_all, icon="compress"),
                self._button("expand_all", self.expand_all, icon="expand"),
            ],
            layout=w.Layout(flex_flow="row wrap"),
        )
        self.cmd_node = w.Dropdown(description=self.t("node"), layout=w.Layout(width="200px"))
        self.cmd_text = w.Text(placeholder="ip addr", description=self.t("command"), layout=w.Layout(width="360px"))
        self.cmdbar = w.HBox(
            [
                self.cmd_node,
                self.cmd_text,
                self._button("run_cmd", lambda: self._show_command(self.cmd(self.cmd_node.value, self.cmd_text.value))),
            ]
        )
        self.panel = w.VBox(layout=w.Layout(width="300px", min_width="300px", padding="0 0 0 8px"))

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#cf222e" if error else "#1a7f37"
        kind = "mnss-error" if error else "mnss-ok"
        self.message.value = f'<span class="{kind}" style="color:{colour}">{text}</span>'

    def _guard(self, action) -> None:
        """Run a UI action; a refused edit or an engine error becomes a message, never a traceback.

        The previous message goes first, so an error does not outlive the next good change."""
        self.message.value = ""
        try:
            action()
        except Refusal as err:
            self._say(str(err), error=True)
        except TopologyError as err:
            problems = "; ".join(html.escape(self.t.problem(p)) for p in err.problems)
            self._say(self.t("refused", error=problems), error=True)
        except (EngineError, KeyError, ValueError) as err:
            self._say(self.t("engine_said", error=html.escape(str(err).strip('"'))), error=True)

    # -- drawing ------------------------------------------------------------------------------
    def _redraw(self) -> None:
        """Bring the graph widgets in line with the model: add, update, remove what changed.

        Boxes: the hosts of a switch (when grouped, or collapsed) and buildings (when boxed). A
        collapsed box is one node in place of all it holds, and the links into it end at it."""
        data = to_cytoscape(self.topology)
        every = host_blocks(self.topology)
        sites = buildings(self.topology) if self.building_toggle.value else {}
        areas = regions(self.topology, sites) if sites else {}
        self._collapsed &= (
            {GROUP + s for s in every.values()}
            | {SITE + r for r in sites.values()}
            | {REGION + r for r in areas.values()}
        )
        grouped = self.group_toggle.value
        blocks = {h: s for h, s in every.items() if grouped or GROUP + s in self._collapsed}
        shape = (blocks, sites, areas, frozenset(self._collapsed))
        if shape != self._shape:  # cytoscape cannot move a drawn node into or out of a box: draw anew
            self._clear_graph()
            self._shape, self._blocks, self._sites, self._regions = shape, blocks, sites, areas

        def parent(element: str) -> str | None:
            """The box drawn around an element: host -> floor (switch's hosts) -> site -> region."""
            if element.startswith(REGION):
                return None
            if element.startswith(SITE):
                router = _owner(element)
                return REGION + areas[router] if router in areas else None
            if element.startswith(GROUP):
                switch = _owner(element)
                return SITE + sites[switch] if switch in sites else None
            if element in blocks:
                return GROUP + blocks[element]
            if element in sites:
                return SITE + sites[element]
            return REGION + areas[element] if element in areas else None

        def stand_in(element: str) -> str:
            """The element itself, or the outermost collapsed box it is hidden in."""
            shown, up = element, parent(element)
            while up:
                shown = up if up in self._collapsed else shown
                up = parent(up)
            return shown

        self.view.fit([item["position"] for item in data["nodes"] if item.get("position")])
        nodes, edges, hidden = {}, {}, {}
        # A new widget gets its state in its constructor: one comm message each, not three.
        for item in data["nodes"]:
            name = item["data"]["id"]
            shown = self.view.to_view(item["position"]) if item.get("position") else {}
            if stand_in(name) != name:
                hidden.setdefault(stand_in(name), []).append(shown)
                continue
            facts = {**item["data"], "name": item["data"].get("label") or name}
            if parent(name):
                facts["parent"] = parent(name)
            nodes[name] = self._node_widget(name, facts, shown)
        members = Counter(
            [
                *(GROUP + s for s in blocks.values()),
                *(SITE + r for r in sites.values()),
                *(REGION + r for r in areas.values()),
            ]
        )
        for box, count in members.items():
            if stand_in(box) != box:
                continue
            if box.startswith(GROUP):
                facts = {"id": box, "kind": "group", "name": self.t("host_group", count=count)}
            elif box.startswith(REGION):
                facts = {"id": box, "kind": "region", "name": self.t("region_box", name=_owner(box), count=count)}
            else:
                facts = {"id": box, "kind": "building", "name": self.t("building_box", name=_owner(box), count=count)}
            if parent(box):
                facts["parent"] = parent(box)
            spot = {}
            if box in self._collapsed:  # in the middle of what it holds
                spots = [p for p in hidden.get(box, []) if p]
                spot = {k: round(sum(p[k] for p in spots) / len(spots), 1) for k in "xy"} if spots else {}
                facts["name"] = self.t("collapsed_box", what=facts["name"])
            nodes[box] = self._node_widget(box, facts, spot, box=True)
        lines = [(item["data"]["source"], item["data"]["target"], item["data"]) for item in data["edges"]]
        lines += [(s, GROUP + s, None) for s in set(blocks.values())]
        drawn_as, captions = {}, {}
        for a, b, link in lines:
            if link is not None and (a in blocks or b in blocks):
                switch = blocks.get(a) or blocks[b]  # drawn as the one line from the switch to its box
                key = (stand_in(switch), stand_in(GROUP + switch))
                if key[0] != key[1]:
                    drawn_as[f"{a}-{b}"] = key
                continue
            key = (stand_in(a), stand_in(b))
            if key[0] != key[1] and link is not None:
                drawn_as[f"{a}-{b}"] = key if key in edges or key[::-1] not in edges else key[::-1]
            if key[0] == key[1] or key in edges or key[::-1] in edges:
                continue
            if key == (a, b) and link is not None:
                facts = {**link, "caption": _link_caption(link)}
            else:  # a line into a box
                facts = {"id": f"{key[0]}-{key[1]}", "source": key[0], "target": key[1], "caption": ""}
            captions[key] = facts["caption"]
            edge = self._edge_widgets.get(key)
            if edge is None:
                edge = Edge(data=facts)
            elif edge.data != facts:
                edge.data = facts
            edges[key] = edge
        for gone in set(self._node_widgets) - set(nodes):
            self._node_widgets[gone].close()
        for gone in set(self._edge_widgets) - set(edges):
            self._edge_widgets[gone].close()
        self._node_widgets, self._edge_widgets = nodes, edges
        self._drawn_as, self._captions = drawn_as, captions
        # a box before what it holds (buildings, then switches' hosts): cytoscape drops a parent it has not got
        order = {REGION: 0, SITE: 1, GROUP: 2}
        self.graph.graph.nodes = sorted(nodes.values(), key=lambda n: order.get(n.data["id"].split(":")[0] + ":", 3))
        self.graph.graph.edges = list(edges.values())
        every_name = [n.name for n in self.topology.nodes]
        for text_box in (self.node_select, self.connect_to):
            if text_box.value not in every_name:
                text_box.value = ""
        names = [n.name for n in self.topology.nodes if role(n.kind) != "switch"]
        for dropdown in (self.iperf_from, self.iperf_to, self.cmd_node):
            keep = dropdown.value
            dropdown.options = names
            dropdown.value = keep if keep in names else (names[0] if names else None)
        if len(names) > 1 and self.iperf_to.value == self.iperf_from.value:
            self.iperf_to.value = names[-1]
        self._show_state()

    def _node_widget(self, name: str, facts: dict, shown: dict, box: bool = False) -> Node:
        """The drawn node `name` with these facts, kept if it is drawn already."""
        node = self._node_widgets.get(name)
        if node is None:
            extra = {"locked": True, "grabbable": False} if box else {}
            return Node(data=facts, position=shown, **extra)
        if node.data != facts:
            node.data = facts
        if node.position != shown:
            node.position = shown
        return node

    def _clear_graph(self) -> None:
        for widget in [*self._node_widgets.values(), *self._edge_widgets.values()]:
            widget.close()
        self._node_widgets, self._edge_widgets = {}, {}
        self.graph.graph.edges = []
        self.graph.graph.nodes = []

    def _keep(self) -> None:
        """Put the drawing into the widget state, for the notebook to save."""
        self.mnss_drawing = self.topology.to_dict()
        self.mnss_saved_at = time.time()

    def _show_state(self) -> None:
        state = self.lab.status() if self.lab and self.lab.running else None
        uplinks = {}
        for link in self.topology.links:  # a grouped host shows its hidden link's state as its own
            for host, switch in ((link.a, link.b), (link.b, link.a)):
                if self._blocks.get(host) == switch:
                    uplinks[host] = f"{link.a}-{link.b}"
        for name, node in self._node_widgets.items():
            up = state and state["nodes"].get(name) and (name not in uplinks or state["links"].get(uplinks[name]))
            if _is_box(name):
                node.classes = "collapsed" if name in self._collapsed else ""
            else:
                node.classes = "" if state is None else ("up" if up else "down")
        for (a, b), edge in self._edge_widgets.items():
            up = state and state["links"].get(f"{a}-{b}")
            classes = "" if state is None or _is_box(a) or _is_box(b) else ("up" if up else "down")
            level = self._load.get((a, b))
            edge.classes = f"{classes} load-{level}".strip() if level else classes

    # -- clicks -------------------------------------------------------------------------------
    def _on_node_tap(self, event: dict) -> None:
        name = _owner(event["data"]["id"])  # a box stands for its switch or router
        if self.connect_toggle.value:
            self._guard(lambda: self._pick(name))
        else:
            self._selection = (name,)
            self._show_selection()

    def _on_edge_tap(self, event: dict) -> None:
        a, b = event["data"]["source"], event["data"]["target"]
        ends = tuple(end for end in (a, b) if not _is_box(end))
        self._selection = ends if ends else (_owner(a),)
        self._show_selection()

    def _on_node_release(self, event: dict) -> None:
        """A drag ends: keep the new position in the model (so it is saved and restored)."""
        name, shown = event["data"]["id"], event.get("position")
        if not shown or _is_box(name):
            return
        pos, old = self.view.to_model(shown), self.topology.node(name).position or {}
        if abs(pos["x"] - old.get("x", 0)) > 1 or abs(pos["y"] - old.get("y", 0)) > 1:
            self._guard(lambda: self.editor.move(name, pos["x"], pos["y"]))

    def _set_connect_mode(self, on: bool) -> None:
        self._picks = []
        self._mark_picks()
        if on:
            self._say(self.t("pick_first"))

    def _pick(self, name: str) -> None:
        self._picks.append(name)
        if len(self._picks) == 2:
            a, b = self._picks
            self._picks = []
            self.connect(a, b)
        else:
            self._say(self.t("pick_second", a=name))
        self._mark_picks()

    def _mark_picks(self) -> None:
        for name, node in self._node_widgets.items():
            extra = " pick" if name in self._picks else ""
            node.classes = node.classes.replace(" pick", "").replace("pick", "") + extra

    # -- properties panel ---------------------------------------------------------------------
    def _show_selection(self) -> None:
        title = w.HTML(f"<b>{self.t('properties')}</b>")
        if hasattr(self, "node_select"):  # the list shows what was clicked, too
            one = self._selection[0] if len(self._selection) == 1 else ""
            self.node_select.value = one
        if not self._selection:
            self.panel.children = [title, w.HTML(self.t("nothing_selected"))]
            return
        if len(self._selection) == 1:
            node = self.topology.node(self._selection[0])
            fields = [(key, kind, getattr(node, key)) for key, kind in NODE_FORM]
            header = html.escape(self.t("node_header", name=node.name, kind=self.t.kind(node.kind)))
            faults_row = [
                self._button("node_down", lambda: self.node_down(node.name)),
                self._button("node_up", lambda: self.node_up(node.name)),
                self._button("capture", lambda: self._show_capture(self.capture(node.name))),
            ]
            if node.name in self._blocks:  # its link is not drawn: open it from here
                faults_row.append(self._button("uplink", lambda: self._select(node.name, self._blocks[node.name])))
            box = self._box_of(node.name)
            if box:
                key = "expand_box" if box in self._collapsed else "collapse_box"
                faults_row.append(self._button(key, lambda: self.toggle_box(node.name), icon="object-group"))
        else:
            a, b = self._selection
            link = self.topology.link(a, b)
            fields = [(key, kind, getattr(link, key)) for key, kind in LINK_FORM]
            header = f"{link.a} — {link.b}"
            faults_row = [
                self._button("link_down", lambda: self.link_down(a, b)),
                self._button("link_up", lambda: self.link_up(a, b)),
            ]
        boxes = {}
        for key, _kind, value in fields:
            text = "" if value is None else ",".join(map(str, value)) if isinstance(value, list) else str(value)
            boxes[key] = w.Text(
                value=text,
                description=self.t.field(key),
                layout=w.Layout(width="280px"),
                style={"description_width": "96px"},
            )
            boxes[key].add_class(f"mnss-field-{key}")

        def apply():
            values = self._read_form(boxes)
            if len(self._selection) == 1:
                values["name"] = values["name"] or self._selection[0]
                self.update_node(self._selection[0], **values)
            else:
                self.update_link(*self._selection, **values)

        apply_button = self._button("apply", apply, "primary")
        note = w.HTML()
        note.add_class("mnss-form-problems")
        for key, box in boxes.items():
            box.tooltip = box.description
            box.placeholder = self.t(f"example_{FORM_KINDS[key].__name__}") if FORM_KINDS[key] is not str else ""
            box.observe(lambda _ch: self._check_form(boxes, apply_button, note), "value")
        self.panel.children = [
            title,
            w.HTML(header),
            *boxes.values(),
            note,
            apply_button,
            w.HBox(faults_row, layout=w.Layout(flex_flow="row wrap")),
        ]

    def _select(self, *names: str) -> None:
        self._selection = names
        self._show_selection()

    def _typed_node(self, name: str) -> str:
        name = name.strip()
        if name not in {n.name for n in self.topology.nodes}:
            raise Refusal(self.t("unknown_node", name=html.escape(name)))
        return name

    def _on_typed_selection(self, change: dict) -> None:
        name = change["new"].strip()
        if name and self._selection != (name,):  # not when a click put the name there
            self._guard(lambda: self._select(self._typed_node(name)))

    def _connect_selected(self) -> None:
        if len(self._selection) != 1 or not self.connect_to.value.strip():
            raise Refusal(self.t("select_two_keys"))
        self.connect(self._selection[0], self._typed_node(self.connect_to.value))

    def _parse_form(self, boxes: dict[str, w.Text]) -> tuple[dict, dict[str, str]]:
        """The panel's text boxes as model values, and what is wrong with each box that does not parse."""
        values, wrong = {}, {}
        for key, box in boxes.items():
            try:
                values[key] = parse(box.value, FORM_KINDS[key])
            except ValueError:
                wrong[key] = self.t(PARSE_ERROR[FORM_KINDS[key]], field=self.t.field(key), value=box.value.strip())
        return values, wrong

    def _read_form(self, boxes: dict[str, w.Text]) -> dict:
        """The panel's text boxes as model values; every box that does not parse is named at once."""
        values, wrong = self._parse_form(boxes)
        if wrong:
            raise Refusal(self.t("refused", error=html.escape("; ".join(wrong.values()))))
        return values

    def _check_form(self, boxes: dict[str, w.Text], apply_button: w.Button, note: w.HTML) -> None:
        """Validation as you type: each box that does not parse, or that the engine would refuse
        for this node or link, is framed and named under the form, and Apply stays disabled until
        every box is right; the note goes with the next valid change."""
        values, wrong = self._parse_form(boxes)
        if not wrong:
            try:
                found = self._form_problems(values)
            except (KeyError, TopologyError):  # the selection went meanwhile: Apply will say so
                found = []
            for key, problem in found:
                key = key if key in boxes else next(iter(boxes))
                wrong[key] = "; ".join(filter(None, [wrong.get(key), self.t.problem(problem)]))
        for key, box in boxes.items():
            if key in wrong:
                box.add_class("mnss-invalid")
                box.layout.border = f"2px solid {INVALID_COLOUR}"
            else:
                box.remove_class("mnss-invalid")
                box.layout.border = None
        apply_button.disabled = bool(wrong)
        shown = html.escape("; ".join(wrong.values()))
        note.value = f'<span class="mnss-error" style="color:{INVALID_COLOUR}">⚠ {shown}</span>' if wrong else ""

    def _form_problems(self, values: dict) -> list[tuple[str, str]]:
        """(box, problem) for what the engine would refuse in the selected node or link with `values`."""
        if len(self._selection) == 1:
            values["name"] = values["name"] or self._selection[0]
            problems, swap = self.editor.check_node(self._selection[0], **values), {}
        else:
            problems = self.editor.check_link(*self._selection, **values)
            stored_as_given = self.topology.link(*self._selection).a == self._selection[0]
            swap = {} if stored_as_given else {"ip_a": "ip_b", "ip_b": "ip_a"}  # the form's a is the stored b
        return [(swap.get(problem_field(p), problem_field(p)), p) for p in problems]

    # -- the Python API (what the buttons call) -----------------------------------------------
    @property
    def topology(self) -> Topology:
        return self.editor.topology

    def _editable(self) -> None:
        if self.lab and self.lab.running:
            raise Refusal(self.t("stop_first"))

    def add_node(self, kind: str = "host", name: str | None = None, **props) -> str:
        self._editable()
        name = self.editor.add_node(kind, name, **props)
        self._say(self.t("added", name=name))
        return name

    def connect(self, a: str, b: str, **props) -> None:
        self._editable()
        self.editor.connect(a, b, **props)
        self._say(self.t("connected", a=a, b=b))

    def delete(self, name: str) -> None:
        self._editable()
        self.editor.delete(name)
        self._selection = ()
        self._show_selection()
        self._say(self.t("deleted", name=name))

    def disconnect(self, a: str, b: str) -> None:
        self._editable()
        self.editor.disconnect(a, b)
        self._selection = ()
        self._show_selection()
        self._say(self.t("deleted", name=f"{a} — {b}"))

    def _delete_selection(self) -> None:
        if len(self._selection) == 1:
            self.delete(self._selection[0])
        elif len(self._selection) == 2:
            self.disconnect(*self._selection)
        else:
            self._say(self.t("select_node"), error=True)

    def update_node(self, node: str, **props) -> None:
        self._editable()
        self.editor.update_node(node, **props)
        self._selection = (props.get("name") or node,)
        self._show_selection()
        self._say(self.t("updated", name=self._selection[0]))

    def update_link(self, a: str, b: str, **props) -> None:
        self._editable()
        self.editor.update_link(a, b, **props)
        self._show_selection()
        self._say(self.t("updated", name=f"{a} — {b}"))

    def undo(self) -> None:
        self._editable()
        self._say(self.t("undone") if self.editor.undo() else self.t("nothing_to_undo"))
        self._selection = ()
        self._show_selection()

    def save(self, path: str | Path | None = None) -> Path:
        """Save; the file name picks the format (.yaml/.json, .py for Mininet, .clab.yml for containerlab)."""
        saved = write_file(self.topology, Path(path or self.path))
        self.path = saved
        self._say(self.t("saved", path=saved))
        return saved

    def load(self, path: str | Path) -> None:
        self._editable()
        imported = load_topology(path)
        self.editor.replace(place_missing(imported.topology))
        self.path = Path(path)
        self.import_notes = list(imported.notes)  # what the import changed, for the notebook to read
        if imported.notes:
            self._say(self.t("loaded_notes", path=path, notes=html.escape("; ".join(imported.notes))))
        else:
            self._say(self.t("loaded", path=path))

    # -- boxes --------------------------------------------------------------------------------
    def _box_of(self, name: str) -> str | None:
        """The box `name` stands for: its region if it is a region's router, its building if it is
        a building's router, else the box of its hosts if it is a switch with hosts."""
        if _is_box(name):
            name = _owner(name)
        if self._regions.get(name) == name:
            return REGION + name
        if self._sites.get(name) == name:
            return SITE + name
        if name in host_blocks(self.topology).values():
            return GROUP + name
        return None

    def _named_box(self, name: str) -> str:
        box = self._box_of(name)
        if box is None:
            raise Refusal(self.t("no_box", name=html.escape(name)))
        return box

    def collapse(self, name: str) -> None:
        """Draw a building (by its router) or a switch's hosts (by the switch) as one node."""
        self._collapsed.add(self._named_box(name))
        self._redraw()
        self._show_selection()
        self._say(self.t("box_collapsed", name=_owner(name)))

    def expand(self, name: str) -> None:
        """Open a collapsed building or box of hosts again."""
        self._collapsed.discard(self._named_box(name))
        self._redraw()
        self._show_selection()
        self._say(self.t("box_expanded", name=_owner(name)))

    def toggle_box(self, name: str) -> None:
        (self.expand if self._named_box(name) in self._collapsed else self.collapse)(name)

    def _region_boxes(self) -> set[str]:
        """Every box of a regional network: each region, and each site and floor within one, so a
        10,000-node region opens as a few boxes and each opens one level at a time (none without regions)."""
        sites = buildings(self.topology)
        areas = regions(self.topology, sites)
        in_region = {switch for switch in host_blocks(self.topology).values() if switch in areas}
        return (
            {REGION + r for r in areas.values()}
            | {SITE + sites[m] for m in areas if m in sites}
            | {GROUP + s for s in in_region}
        )

    def collapse_all(self) -> None:
        """A regional network as it opens (regions, sites, floors); else every building as one node;
        without buildings, every switch's hosts."""
        boxes = (
            self._region_boxes()
            or {SITE + r for r in self._sites.values()}
            or {GROUP + s for s in host_blocks(self.topology).values()}
        )
        self._collapsed |= boxes
        self._redraw()
        self._show_selection()
        self._say(self.t("all_collapsed", count=len(boxes)))

    def expand_all(self) -> None:
        self._collapsed.clear()
        self._redraw()
        self._show_selection()
        self._say(self.t("all_expanded"))

    # -- running ------------------------------------------------------------------------------
    def run(self) -> Lab:
        if self.lab and self.lab.running:
            self._say(self.t("already_running", nodes=len(self.lab.topology.nodes)))
            return self.lab
        self._say(self.t("building"))

        def progress(phase: str, done: int, total: int) -> None:
            self.progress.max, self.progress.value = max(total, 1), done

        self.lab = Lab(self.topology, progress=progress, max_nodes=self.max_nodes).start()
        self.progress.value = self.progress.max
        self._show_state()
        self._say(self.t("running", nodes=len(self.topology.nodes), seconds=self.lab.build_seconds))
        return self.lab

    def stop(self) -> None:
        if self.lab:
            self.lab.stop()
        self.progress.value = 0
        self._show_state()
        self._say(self.t("stopped"))

    def _running_lab(self) -> Lab:
        if not (self.lab and self.lab.running):
            raise Refusal(self.t("not_running"))
        return self.lab

    def ping_all(self) -> pd.DataFrame:
        """Ping every pair; the whole DataFrame is returned, the canvas shows it grouped by switch
        when there are more than `results.DETAIL_LIMIT` sources."""
        pings = measure.ping_matrix(self._running_lab())
        self.last_pings = pings
        ok = int((pings.loss_pct == 0).sum())
        self._say(self.t("pairs_ok", ok=ok, total=len(pings)))
        self._show_pings(pings)
        return pings

    def _show_pings(self, pings: pd.DataFrame) -> None:
        self._fresh_results()
        grouped = pings.src.nunique() > results.DETAIL_LIMIT
        with self.output:
            self.output.clear_output()
            if not grouped:
                matrix = measure.loss_matrix(pings)
                display(HTML(render.loss_heatmap(matrix, self.t("loss_title"), self.t.field("loss_pct"))))
            display(self._localized(pings))
        self.drill.layout.display = "flex" if grouped else "none"
        self._show_groups()

    def _show_groups(self) -> None:
        """The grouped table of the last Ping all, by switch or by building (`group_by`)."""
        for old in self.group_grid.children:
            heatgrid.close_all(old)
        self.group_grid.children = []
        if self.last_pings is None or self.drill.layout.display == "none":
            return
        by = self.group_by.value
        self._groups = results.GROUPINGS[by](self.topology)
        table = results.group_loss(self.last_pings, self._groups)
        title = self.t(GROUP_TITLES[by])
        self.group_title.value = (
            f'<b class="mnss-group-title">{html.escape(title)}</b>'
            f'<div class="mnss-drill-hint">{html.escape(self.t("drill_hint"))}</div>'
        )
        grid = heatgrid.loss_grid(table, self.select_block, lambda **v: self.t("group_cell", **v))
        self.group_grid.children = [grid, w.HTML(render.colour_scale(self.t.field("loss_pct")))]
        self.drill_from.options, self.drill_to.options = list(table.index), list(table.columns)
        self._show_block()

    def _show_block(self) -> None:
        """The host-by-host matrix behind one cell of the grouped table."""
        if self.last_pings is None or not self.drill_from.value or not self.drill_to.value:
            return
        src, dst = self.drill_from.value, self.drill_to.value
        matrix = results.block(self.last_pings, self._groups, src, dst)
        self.drill_detail.value = render.loss_heatmap(
            matrix, self.t("drill_title", src=src, dst=dst), self.t.field("loss_pct")
        )

    def select_block(self, src_group: str, dst_group: str) -> None:
        """Drill down into one cell of the grouped ping table (what the two dropdowns do)."""
        self.drill_from.value, self.drill_to.value = src_group, dst_group

    def _localized(self, table: pd.DataFrame) -> pd.DataFrame:
        return table.rename(columns=self.t.field)

    def _fresh_results(self) -> None:
        self._results_shown = True
        self.stale_note.value = ""

    def _mark_stale(self) -> None:
        """Results measured before the topology or a fault changed no longer describe the network."""
        if self._results_shown:
            self.stale_note.value = f'<span class="mnss-stale" style="color:#9a6700">⚠ {self.t("stale")}</span>'

    def iperf(self, src: str, dst: str, seconds: float = 2) -> pd.DataFrame:
        """TCP throughput from src to dst; while it runs, every link is coloured by its load."""
        lab = self._running_lab()
        stop = threading.Event()
        sampler = threading.Thread(target=self._sample_load, args=(lab, stop), daemon=True)
        sampler.start()
        try:
            result = measure.iperf(lab, src, dst, seconds=seconds)
        finally:
            stop.set()
            sampler.join(LOAD_INTERVAL * 4 + 10)
            self._show_load({})
        self._fresh_results()
        self.drill.layout.display = "none"
        with self.output:
            self.output.clear_output()
            display(HTML(render.throughput_bars(result, lambda **v: self.t("throughput", **v))))
            display(self._localized(result))
        return result

    def diagnose(self) -> Diagnosis:
        """Find what is wrong with the running network against the drawn topology, from node reads
        and measurements only (`mnss_kernel.diagnose`): the ranked suspects with their evidence are
        shown in the canvas's language and returned (`.suspects`, `.to_frame()`, `.text()`)."""
        lab = self._running_lab()
        self._say(self.t("diagnosing"))
        result = diagnose_lab(lab, self.topology)
        self.last_diagnosis = result
        self._fresh_results()
        self.drill.layout.display = "none"
        with self.output:
            self.output.clear_output()
            display(HTML(render.suspects_table(result, self.t.language, self.t)))
        if result.suspects:
            top = result.suspects[0].summary[1 if self.t.language == "zh-CN" else 0]
            count, failing = len(result.suspects), result.failing_pairs
            self._say(html.escape(self.t("diagnosed", seconds=result.seconds, failing=failing, count=count, top=top)))
        else:
            self._say(self.t("diagnosed_clean", seconds=result.seconds))
        return result

    def _sample_load(self, lab: Lab, stop: threading.Event) -> None:
        """Every LOAD_INTERVAL s until `stop`: each link's Mbit/s since the last look, onto the graph."""
        try:
            before, then = measure.link_bytes(lab), time.monotonic()
            while not stop.wait(LOAD_INTERVAL):
                now, at = measure.link_bytes(lab), time.monotonic()
                self._show_load({k: (v - before.get(k, v)) * 8 / 1e6 / (at - then) for k, v in now.items()})
                before, then = now, at
        except (EngineError, OSError):  # the lab stopped under the sampler: nothing more to show
            return

    def _show_load(self, mbps: dict[str, float]) -> None:
        """Colour and widen each drawn line by its load (`style.load_level`); its caption says the
        Mbit/s, so the load is not told by colour alone. {} clears it."""
        bandwidth = {f"{link.a}-{link.b}": link.bw for link in self.topology.links}
        top = max(mbps.values(), default=0.0)
        shown: dict[tuple[str, str], tuple[int, float]] = {}
        for key, rate in mbps.items():
            edge = self._drawn_as.get(key)
            level = load_level(rate, bandwidth.get(key) or top)
            if edge and level and level > shown.get(edge, (0, 0.0))[0]:
                shown[edge] = (level, rate)
        self._load = {edge: level for edge, (level, _rate) in shown.items()}
        for key, edge in self._edge_widgets.items():
            rate = shown.get(key, (0, 0.0))[1]
            caption = self.t("link_load", mbps=rate) if key in shown else self._captions.get(key, "")
            if edge.data.get("caption") != caption:
                edge.data = {**edge.data, "caption": caption}
        self._show_state()

    def cmd(self, node: str, command: str) -> CommandResult:
        return self._running_lab().cmd(node, command)

    def _show_command(self, result: CommandResult) -> None:
        with self.output:
            self.output.clear_output()
            print(f"{result.node}$ {result.command}\n{result.stdout}{result.stderr}")

    def capture(self, node: str, seconds: float = 5, folder: str | Path = "captures") -> Path:
        """Record a node's first interface for `seconds` into a .pcap file next to the notebook."""
        Path(folder).mkdir(exist_ok=True)
        path = Path(folder) / f"{node}-{time.strftime('%Y%m%d-%H%M%S')}.pcap"
        with measure.capture(self._running_lab(), node, path):
            time.sleep(seconds)
        return path

    # -- the view -----------------------------------------------------------------------------
    def _shown_positions(self) -> list[dict]:
        return [n.position for n in self._node_widgets.values() if n.position]

    def _frame(self) -> tuple[float, dict]:
        """The zoom and centre that show every node (what cytoscape's fit does), in view coordinates."""
        shown = self._shown_positions() or [{"x": self.view.width / 2, "y": self.view.height / 2}]
        xs, ys = [p["x"] for p in shown], [p["y"] for p in shown]
        pad = self.view.padding + 20
        zoom = min(
            1.0,
            (self.view.width - 2 * pad) / max(max(xs) - min(xs), 1),
            (self.view.height - 2 * pad) / max(max(ys) - min(ys), 1),
        )
        return zoom, {"x": (min(xs) + max(xs)) / 2, "y": (min(ys) + max(ys)) / 2}

    def _set_view(self, zoom: float, centre: dict) -> None:
        zoom = min(max(zoom, self.graph.min_zoom), self.graph.max_zoom)
        self._zoom, self._centre = zoom, centre
        pan = {"x": self.view.width / 2 - centre["x"] * zoom, "y": self.view.height / 2 - centre["y"] * zoom}
        pan = {k: round(v, 1) for k, v in pan.items()}
        layout = {"name": "preset", "fit": False, "zoom": round(zoom, 4), "pan": pan}
        if layout == self.graph.cytoscape_layout:
            self.graph.relayout()
        else:
            self.graph.cytoscape_layout = layout

    def _browser_fit(self) -> None:
        """cytoscape's own fit: after a browser layout only the browser knows where the nodes are."""
        layout = {"name": "preset", "fit": True, "padding": 30}
        if layout == self.graph.cytoscape_layout:
            self.graph.relayout()
        else:
            self.graph.cytoscape_layout = layout

    def fit(self) -> None:
        """Show the whole drawing."""
        if self._browser_layout:
            self._browser_fit()
            return
        self._set_view(*self._frame())

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor > 1) or out around the middle of the view."""
        if self._browser_layout:
            raise Refusal(self.t("zoom_after_layout", name=self._browser_layout))
        self._set_view(self._zoom * factor, self._centre)

    def reset_view(self) -> None:
        """Back to how the canvas opened: actual size, or the whole drawing if it is larger."""
        if self._browser_layout:
            self._browser_fit()
            return
        zoom, centre = self._frame()
        if zoom >= 1.0:
            centre = {"x": self.view.width / 2, "y": self.view.height / 2}
        self._set_view(zoom, centre)

    def arrange(self) -> None:
        """Lay the drawing out in tiers (core, distribution, access); undoable like any edit."""
        self._editable()
        self.editor.replace(tiered(self.topology, (self.view.width, self.view.height)))
        self._show_layout_choice("tiers")
        self.view.fitted = False
        self._redraw()
        self._leave_browser_layout()
        self.fit()
        self._say(self.t("arranged"))

    def lay_out(self, name: str) -> None:
        """Arrange the view: "tiers" (the canvas's own, kept in the topology like `arrange`),
        "drawn" (back to the positions in the topology), or a cytoscape.js layout run in the
        browser ("dagre", "cola", "klay"), which changes only the view: the topology keeps its
        positions, and the browser lays out again after each edit."""
        if name == "tiers":
            self.arrange()
            return
        if name == "drawn":
            self._show_layout_choice("drawn")
            self._leave_browser_layout()
            self.reset_view()
            self._say(self.t("back_to_drawn"))
            return
        self.graph.cytoscape_layout = browser_layout(name)
        self._browser_layout = name
        self._show_layout_choice(name)
        self._say(self.t("laid_out", name=name))

    def _leave_browser_layout(self) -> None:
        """Put every drawn node back where the topology has it, after a browser layout moved them
        (the node widgets still hold those positions, so setting them again would send nothing)."""
        if self._browser_layout:
            self._browser_layout = None
            drawn = {key: node.position for key, node in self._node_widgets.items() if node.position}
            self.graph.cytoscape_layout = {"name": "preset", "fit": False, "positions": drawn}

    def _on_layout_choice(self, change: dict) -> None:
        if not self._choosing:
            self._guard(lambda: self.lay_out(change["new"]))

    def _show_layout_choice(self, name: str) -> None:
        self._choosing = True
        try:
            self.layout_picker.value = name
        finally:
            self._choosing = False

    def _show_capture(self, path: Path) -> None:
        with self.output:
            self.output.clear_output()
            display(FileLink(str(path), result_html_prefix=self.t("captured") + " "))
        self._say(self.t("captured") + f" {path}")

    def _fault(self, fault: faults.Fault, repair: bool) -> None:
        lab = self._running_lab()
        fault.repair(lab) if repair else fault.inject(lab)
        self._show_state()
        self._mark_stale()
        what = self._describe_fault(fault)
        self._say(self.t("repair_done" if repair else "fault_done", what=what))

    def _describe_fault(self, fault: faults.Fault) -> str:
        facts = fault.describe()
        if fault.kind == "link_down":
            return self.t("fault_link_down", a=facts["a"], b=facts["b"])
        if fault.kind == "node_down":
            return self.t("fault_node_down", node=facts["node"])
        values = ", ".join(f"{k}={v}" for k, v in facts.items() if k != "kind")
        return self.t("fault_other", kind=fault.kind, values=values)

    def link_down(self, a: str, b: str) -> None:
        self._fault(faults.LinkDown(a, b), repair=False)

    def link_up(self, a: str, b: str) -> None:
        self._fault(faults.LinkDown(a, b), repair=True)

    def node_down(self, name: str) -> None:
        self._fault(faults.NodeDown(name), repair=False)

    def node_up(self, name: str) -> None:
        self._fault(faults.NodeDown(name), repair=True)


def _fill_tooltips(root: w.Widget) -> None:
    """A described widget without a tooltip shows the word "null" on hover (ipywidgets 8): give
    it its description instead."""
    if getattr(root, "description", "") and getattr(root, "tooltip", "") is None:
        root.tooltip = root.description
    for child in getattr(root, "children", ()):
        _fill_tooltips(child)


def _link_caption(data: dict) -> str:
    parts = []
    if data.get("bw"):
        parts.append(f"{data['bw']:g}M")
    if data.get("vlan"):
        parts.append(f"v{data['vlan']}")
    if data.get("vlans"):
        parts.append("v" + ",".join(map(str, data["vlans"])))
    return " ".join(parts)
