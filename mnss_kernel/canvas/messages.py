"""The canvas's message catalogue: every text it shows, by message id, in Chinese and English.

Values are `str.format` templates with named fields. The engine's validation problems are
looked up by their code (see `mnss_foundation.problem.Problem`), never by their English text.
"""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")

UI = {
    "add": ("添加", "Add"),
    "connect": ("连线", "Connect"),
    "delete": ("删除", "Delete"),
    "undo": ("撤销", "Undo"),
    "save": ("保存", "Save"),
    "load": ("打开", "Open"),
    "run": ("运行", "Run"),
    "stop": ("停止", "Stop"),
    "ping_all": ("全网连通测试", "Ping all"),
    "iperf": ("吞吐量测试", "Throughput"),
    "apply": ("应用", "Apply"),
    "run_cmd": ("执行", "Run"),
    "link_down": ("断开链路", "Link down"),
    "link_up": ("恢复链路", "Link up"),
    "node_down": ("关闭节点", "Node down"),
    "node_up": ("开启节点", "Node up"),
    "capture": ("抓包 5 秒", "Capture 5 s"),
    "captured": ("抓包文件：", "Capture file:"),
    "kind": ("组件", "Component"),
    "file": ("文件", "File"),
    "file_formats": (
        "可打开的格式：MNSS YAML（.yaml、.yml）、MNSS JSON（.json）、Mininet 自定义拓扑（.py）、"
        "containerlab（.clab.yml）、cytoscape.js JSON（.cyjs）",
        "Formats: MNSS YAML (.yaml, .yml), MNSS JSON (.json), Mininet custom topology (.py), "
        "containerlab (.clab.yml), cytoscape.js JSON (.cyjs)",
    ),
    "node": ("节点", "Node"),
    "link": ("链路", "Link"),
    "command": ("命令", "Command"),
    "properties": ("属性", "Properties"),
    "fit": ("适应窗口", "Fit"),
    "zoom_in": ("放大", "Zoom in"),
    "zoom_out": ("缩小", "Zoom out"),
    "reset_view": ("复位视图", "Reset view"),
    "arrange": ("分层排列", "Arrange in tiers"),
    "arranged": ("已按核心、汇聚、接入分层排列。", "Arranged in core, distribution and access tiers."),
    "group_hosts": ("主机按交换机分组", "Group hosts by switch"),
    "host_group": ("{count} 台终端", "{count} hosts"),
    "uplink": ("上联链路", "Uplink"),
    "select": ("选择节点", "Select node"),
    "connect_to": ("连接到", "Connect to"),
    "type_name": ("输入节点名称", "type a node name"),
    "unknown_node": ("没有名为“{name}”的节点。", "There is no node named '{name}'."),
    "connect_selected": ("连接所选节点", "Connect selected"),
    "select_two_keys": (
        "请先在“选择节点”中选一个节点，并在“连接到”中选另一个节点。",
        "Choose a node under Select node and another under Connect to first.",
    ),
    "node_header": ("节点 {name}（{kind}）", "Node {name} ({kind})"),
    "nothing_selected": ("点击节点或链路以编辑属性。", "Click a node or link to edit its properties."),
    "pick_first": ("连线：请点击第一个节点。", "Connect: click the first node."),
    "pick_second": ("连线：请点击第二个节点（起点 {a}）。", "Connect: click the second node (from {a})."),
    "connected": ("已连接 {a} — {b}。", "Connected {a} — {b}."),
    "added": ("已添加 {name}。", "Added {name}."),
    "deleted": ("已删除 {name}。", "Deleted {name}."),
    "updated": ("已修改 {name}。", "Changed {name}."),
    "undone": ("已撤销上一步。", "Undid the last edit."),
    "nothing_to_undo": ("没有可撤销的操作。", "Nothing to undo."),
    "saved": ("已保存到 {path}。", "Saved to {path}."),
    "loaded": ("已打开 {path}。", "Opened {path}."),
    "loaded_notes": ("已打开 {path}。导入时的改动：{notes}", "Opened {path}. Changed on import: {notes}"),
    "refused": ("未修改：{error}", "Not changed: {error}"),
    "engine_said": ("网络引擎报错：{error}", "The network engine said: {error}"),
    "restored": ("已从笔记本恢复上次的绘图。", "Brought back the drawing saved in this notebook."),
    "building": ("正在构建网络……", "Building the network..."),
    "running": (
        "网络运行中（{nodes} 个节点，用时 {seconds:.1f} 秒）。",
        "Network running ({nodes} nodes, up in {seconds:.1f} s).",
    ),
    "already_running": (
        "网络已在运行中（{nodes} 个节点），无需再次运行；要重新构建请先点击“停止”。",
        "The network is already running ({nodes} nodes); press Stop first to build it again.",
    ),
    "stopped": ("网络已停止，所有资源已清理。", "Network stopped; everything removed."),
    "not_running": ("网络未运行，请先点击“运行”。", "The network is not running; press Run first."),
    "stop_first": ("网络运行中，修改拓扑前请先停止。", "The network is running; stop it before changing the topology."),
    "select_two": (
        "请先选择一条链路，或在连线模式下选择两个节点。",
        "Select a link first, or two nodes in connect mode.",
    ),
    "select_node": ("请先选择一个节点。", "Select a node first."),
    "loss_title": ("丢包率（%）：行 = 源，列 = 目的", "Packet loss (%): rows = source, columns = destination"),
    "group_loss_title": (
        "按交换机汇总的丢包率（%）：行 = 源所在交换机，列 = 目的所在交换机",
        "Packet loss (%) by switch: rows = source switch, columns = destination switch",
    ),
    "drill_from": ("源交换机", "From switch"),
    "drill_to": ("目的交换机", "To switch"),
    "drill_title": ("明细：{src} → {dst}", "Detail: {src} → {dst}"),
    "pairs_ok": ("{ok}/{total} 对可达。", "{ok}/{total} pairs reachable."),
    "throughput": ("{src} → {dst}：{mbps:.1f} Mbit/s", "{src} → {dst}: {mbps:.1f} Mbit/s"),
    "stale": (
        "以下结果已过时：拓扑或故障在测试后已改变，请重新测试。",
        "These results are out of date: the topology or a fault changed since; measure again.",
    ),
    "fault_done": ("已注入故障：{what}", "Fault injected: {what}"),
    "repair_done": ("已修复：{what}", "Repaired: {what}"),
    "fault_link_down": ("链路 {a} — {b} 断开", "link {a} — {b} down"),
    "fault_node_down": ("节点 {node} 关闭", "node {node} down"),
    "fault_other": ("{kind}：{values}", "{kind}: {values}"),
    # values typed into the property panel
    "not_number": (
        "{field}：“{value}”不是数字，请输入如 10 或 2.5 的数值",
        "{field}: '{value}' is not a number, e.g. 10 or 2.5",
    ),
    "not_integer": (
        "{field}：“{value}”不是整数，请输入如 1500 的整数",
        "{field}: '{value}' is not a whole number, e.g. 1500",
    ),
    "not_integer_list": (
        "{field}：“{value}”不是以逗号分隔的整数列表，例如 10,20",
        "{field}: '{value}' is not a comma-separated list of whole numbers, e.g. 10,20",
    ),
}

# Property and column names as the learner reads them.
FIELDS = {
    "name": ("名称", "Name"),
    "label": ("显示名", "Label"),
    "ip": ("IP 地址", "IP address"),
    "gateway": ("默认网关", "Gateway"),
    "bw": ("带宽 Mbit/s", "Bandwidth Mbit/s"),
    "delay": ("时延 ms", "Delay ms"),
    "jitter": ("抖动 ms", "Jitter ms"),
    "loss": ("丢包率 %", "Loss %"),
    "mtu": ("MTU", "MTU"),
    "vlan": ("VLAN", "VLAN"),
    "vlans": ("中继 VLAN", "Trunk VLANs"),
    "ip_a": ("A 端 IP", "IP at end A"),
    "ip_b": ("B 端 IP", "IP at end B"),
    "routes": ("路由", "Routes"),
    "rules": ("规则", "Rules"),
    "outside": ("外侧邻居", "Outside neighbour"),
    "default_policy": ("默认策略", "Default policy"),
    "kind": ("类型", "Kind"),
    # measurement columns
    "src": ("源", "Source"),
    "dst": ("目的", "Destination"),
    "dst_ip": ("目的 IP", "Destination IP"),
    "sent": ("发送", "Sent"),
    "received": ("收到", "Received"),
    "loss_pct": ("丢包率 %", "Loss %"),
    "rtt_avg_ms": ("平均往返 ms", "Average RTT ms"),
    "mbps_sent": ("发送 Mbit/s", "Sent Mbit/s"),
    "mbps_received": ("接收 Mbit/s", "Received Mbit/s"),
    "retransmits": ("重传次数", "Retransmits"),
    "seconds": ("时长 秒", "Duration s"),
}

# The engine's problem codes (mnss_kernel.topology.validate/plan, mnss_foundation.schemacheck).
PROBLEMS = {
    "not_interface": (
        "“{value}”不是带前缀长度的 IPv4 地址，例如 10.0.1.10/24",
        "{value!r} is not an IPv4 address with prefix length, e.g. 10.0.1.10/24",
    ),
    "network_address": (
        "{value} 是 {net} 的网络地址，请使用主机地址",
        "{value} is the network address of {net}; use a host address",
    ),
    "broadcast_address": (
        "{value} 是 {net} 的广播地址，请使用主机地址",
        "{value} is the broadcast address of {net}; use a host address",
    ),
    "not_network": ("“{value}”不是 IPv4 网段，例如 10.0.2.0/24", "{value!r} is not an IPv4 network like 10.0.2.0/24"),
    "not_network_or_any": (
        "“{value}”不是 IPv4 网段（例如 10.0.2.0/24）或 any",
        "{value!r} is not an IPv4 network like 10.0.2.0/24 or 'any'",
    ),
    "name_taken": (
        "该名称被使用了 {count} 次，节点名称必须唯一",
        "the name is used {count} times; names must be unique",
    ),
    "no_such_node": ("节点 {node} 不存在", "node {node!r} does not exist"),
    "link_to_itself": ("链路必须连接两个不同的节点", "a link must join two different nodes"),
    "link_exists": ("这两个节点之间已有一条链路", "there is already a link between these nodes"),
    "switch_port_address": ("{node} 是交换机，其端口没有地址", "{node!r} is a switch and has no address on its ports"),
    "vlan_needs_switch": ("只有连到交换机的链路才有接入 VLAN", "only a link to a switch has an access VLAN"),
    "vlan_on_trunk": (
        "交换机之间的链路是中继，请在“中继 VLAN”中填写",
        "a switch-to-switch link is a trunk; give its VLANs as 'vlans'",
    ),
    "vlans_need_trunk": (
        "只有交换机之间的中继链路才带 VLAN 列表",
        "only a switch-to-switch trunk carries a list of VLANs",
    ),
    "jitter_needs_delay": ("抖动需要先设置时延", "needs a delay to vary around"),
    "switch_has_no_address": ("交换机没有地址", "a switch has no address"),
    "ip_needs_one_link": (
        "只有恰好一条链路的节点可直接填写 IP（该节点有 {count} 条），请在链路上设置两端 IP",
        "the shorthand is for a node with exactly one link (it has {count}); set ip_a/ip_b on its links",
    ),
    "gateway_hosts_only": (
        "只有主机有默认网关，路由器请使用路由",
        "only hosts have a default gateway; routers use routes",
    ),
    "switch_no_routes": ("交换机不做路由", "a switch does not route"),
    "rules_firewall_only": ("只有防火墙有过滤规则", "only a firewall has filter rules"),
    "port_needs_proto": ("指定端口时协议须为 tcp 或 udp", "a port needs proto tcp or udp"),
    "outside_nat_only": ("只有 NAT 网关有外侧接口", "only a NAT gateway has an outside interface"),
    "outside_not_neighbour": ("{node} 不是该节点的邻居", "{node!r} is not a neighbour of this node"),
    "nat_needs_outside": ("NAT 网关需要填写外侧邻居的名称", "a NAT gateway needs the name of its outside neighbour"),
    "gateway_off_subnet": ("{value} 不在该节点的任何网段上", "{value} is not on any subnet of this node"),
    "out_of_range": ("{value} 超出范围，必须 {bound} {limit}", "{value!r} is out of range; must be {bound} {limit}"),
    "enum": ("“{value}”不是允许的值；允许：{allowed}", "{value!r} is not allowed; allowed values: {allowed}"),
    "unknown_kind": ("组件类型 {kind} 不在目录中", "kind {kind!r} is not in the catalog"),
    "no_node": ("没有名为 {name} 的节点", "no node named {name!r}"),
    "no_link": ("{a} 与 {b} 之间没有链路", "no link between {a!r} and {b!r}"),
    "unknown_file_type": (
        "{path}：不认识的文件类型；可用 .yaml、.yml、.json、.py、.clab.yml、.cyjs",
        "{path}: unknown file type; use .yaml, .yml, .json, .py, .clab.yml or .cyjs",
    ),
    "file_missing": ("文件 {path} 不存在", "file {path} does not exist"),
    "file_no_permission": ("没有读取文件 {path} 的权限", "no permission to read {path}"),
    "file_is_folder": ("{path} 是文件夹，不是拓扑文件", "{path} is a folder, not a topology file"),
    "file_unreadable": (
        "无法读取文件 {path}（不是 UTF-8 文本或已损坏）",
        "cannot read {path} (not UTF-8 text, or damaged)",
    ),
    "name_in_use": (
        "节点 {name}：名称 {new} 已被另一个节点使用，请换一个名称",
        "node {name!r}: the name {new!r} is already used by another node; choose another",
    ),
}

# Where a problem is: "link h1-s1", "node 'h1'" and an optional field.
WHERE = {
    "link": ("链路 {name}", "link {name}"),
    "node": ("节点 {name}", "node {name}"),
    "field": ("{where}：{field}", "{where}: {field}"),
    "problem": ("{where}：{text}", "{where}: {text}"),
}
