"""Canvas labels in Chinese and English; the language follows the user's JupyterLab setting."""

from __future__ import annotations

import json
import os
from pathlib import Path

LAB_SETTING = ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"

TEXT = {
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
    "node": ("节点", "Node"),
    "command": ("命令", "Command"),
    "properties": ("属性", "Properties"),
    "nothing_selected": ("点击节点或链路以编辑属性。", "Click a node or link to edit its properties."),
    "pick_first": ("连线：请点击第一个节点。", "Connect: click the first node."),
    "pick_second": ("连线：请点击第二个节点（起点 {a}）。", "Connect: click the second node (from {a})."),
    "connected": ("已连接 {a} — {b}。", "Connected {a} — {b}."),
    "added": ("已添加 {name}。", "Added {name}."),
    "deleted": ("已删除 {name}。", "Deleted {name}."),
    "undone": ("已撤销上一步。", "Undid the last edit."),
    "nothing_to_undo": ("没有可撤销的操作。", "Nothing to undo."),
    "saved": ("已保存到 {path}。", "Saved to {path}."),
    "loaded": ("已打开 {path}。", "Opened {path}."),
    "loaded_notes": ("已打开 {path}。导入时的改动：{notes}", "Opened {path}. Changed on import: {notes}"),
    "refused": ("未修改：{error}", "Not changed: {error}"),
    "building": ("正在构建网络……", "Building the network..."),
    "running": (
        "网络运行中（{nodes} 个节点，用时 {seconds:.1f} 秒）。",
        "Network running ({nodes} nodes, up in {seconds:.1f} s).",
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
    "pairs_ok": ("{ok}/{total} 对可达。", "{ok}/{total} pairs reachable."),
    "throughput": ("{src} → {dst}：{mbps:.1f} Mbit/s", "{src} → {dst}: {mbps:.1f} Mbit/s"),
    "fault_done": ("已注入故障：{what}", "Fault injected: {what}"),
    "repair_done": ("已修复：{what}", "Repaired: {what}"),
}


def current_language(home: Path | None = None) -> str:
    """'zh-CN' or 'en': $MNSS_LANG, else the JupyterLab locale the user chose, else Chinese."""
    if os.environ.get("MNSS_LANG") in ("zh-CN", "en"):
        return os.environ["MNSS_LANG"]
    try:
        text = ((home or Path.home()) / LAB_SETTING).read_text("utf-8")
        locale = json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))[
            "locale"
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return "zh-CN"
    return "en" if locale.startswith("en") else "zh-CN"


class Labels:
    def __init__(self, language: str):
        self.language = language

    def __call__(self, key: str, **values) -> str:
        zh, en = TEXT[key]
        return (zh if self.language == "zh-CN" else en).format(**values)
