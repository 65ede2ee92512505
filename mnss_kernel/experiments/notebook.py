"""An experiment as the ready notebook a learner opens: the goal in Chinese and English, the canvas
with the topology, one cell per step (each does that step on the running lab and shows what it
measured), a cell that checks the expectations and prints them, and one that stops the lab."""

from __future__ import annotations

from .. import templates
from .model import Experiment

#: What a step does, (zh, en), filled from its fields.
STEP_TEXT = {
    "ping_all": ("每对节点互相 ping", "ping every pair of nodes"),
    "ping": ("从 {src} ping {dst}", "ping {dst} from {src}"),
    "traceroute": ("从 {src} 到 {dst} 的逐跳路径（traceroute）", "the hops from {src} to {dst} (traceroute)"),
    "iperf": ("从 {src} 到 {dst} 的 TCP 吞吐量（iperf3）", "TCP throughput from {src} to {dst} (iperf3)"),
    "app": (
        "从 {src} 用 {dst} 的应用协议探测（DICOM/HL7/HTTP）",
        "probe {dst} from {src} in its own protocol (DICOM/HL7/HTTP)",
    ),
    "cmd": ("在 {node} 上执行 `{command}`", "run `{command}` on {node}"),
    "fault": ("注入故障：{fault}", "inject the fault: {fault}"),
    "repair": ("修复故障：{fault}", "repair the fault: {fault}"),
}
EXPECT_TEXT = {
    "loss_pct": ("每对节点的丢包率（%）{v}", "every pair's loss (%): {v}"),
    "reachable": ("这些节点对能通：{v}", "these pairs get replies: {v}"),
    "unreachable": ("这些节点对不通：{v}", "these pairs get no reply: {v}"),
    "reachable_pairs": ("能通的节点对数 {v}", "the number of pairs that get replies: {v}"),
    "reached": ("traceroute 到达目的地：{v}", "traceroute reaches the destination: {v}"),
    "path": ("经过的节点依次为 {v}", "the nodes passed, in order: {v}"),
    "mbps": ("吞吐量（Mbit/s）{v}", "throughput (Mbit/s): {v}"),
    "ok": ("应用层探测成功：{v}", "the application answers: {v}"),
    "exit_code": ("命令的退出码为 {v}", "the command's exit status is {v}"),
    "stdout_contains": ("输出中含有 `{v}`", "the output contains `{v}`"),
}


def _fault_text(spec: dict) -> str:
    return spec["kind"] + "(" + ", ".join(f"{k}={v}" for k, v in spec.items() if k != "kind") + ")"


def step_text(step: dict) -> tuple[str, str]:
    values = {k: v for k, v in step.items() if isinstance(v, str | int | float)}
    if "fault" in step:
        values["fault"] = _fault_text(step["fault"])
    if step["do"] == "ping_all" and "nodes" in step:
        listed = ", ".join(step["nodes"])
        return f"{listed} 之间两两互相 ping", f"ping every pair of {listed}"
    zh, en = STEP_TEXT[step["do"]]
    return zh.format(**values), en.format(**values)


def _bounds(value) -> str:
    if isinstance(value, dict) and set(value) <= {"min", "max"}:
        low, high = value.get("min"), value.get("max")
        if low is None or high is None:
            return f"≤ {high}" if low is None else f"≥ {low}"
        return f"= {low}" if low == high else f"{low}–{high}"
    if isinstance(value, list) and value and isinstance(value[0], list):
        return ", ".join(f"{a}→{b}" for a, b in value)
    if isinstance(value, list):
        return " → ".join(value)
    return str(value)


def expect_text(item: dict) -> tuple[str, str]:
    what = next(k for k in item if k != "step")
    zh, en = EXPECT_TEXT[what]
    return zh.format(v=_bounds(item[what])), en.format(v=_bounds(item[what]))


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def build(experiment: Experiment) -> dict:
    """The notebook (nbformat 4, as a dict) for one experiment."""
    tpl = templates.TEMPLATES[experiment.template]
    params = ", ".join(f"{k}={v}" for k, v in experiment.params.items()) or "默认 / defaults"
    expectations = "\n".join(
        f"- `{item['step']}`：{zh}  \n  *{en}*" for item in experiment.expect for zh, en in [expect_text(item)]
    )
    intro = (
        f"# {experiment.title['zh']}\n\n*{experiment.title['en']}*\n\n"
        f"**实验目标 / Goal**\n\n{experiment.goal['zh']}\n\n*{experiment.goal['en']}*\n\n"
        f"**拓扑 / Topology**：{tpl.title_zh} / {tpl.title_en}（{params}）\n\n"
        f"**预期 / Expected**\n\n{expectations}\n\n"
        "依次运行每个单元格：先构建并运行网络，再逐步测量，最后核对预期。\n\n"
        "*Run the cells in order: build and run the network, measure step by step, then check the expectations.*"
    )
    cells = [
        _markdown(intro),
        _code(
            "from mnss_kernel.canvas import TopologyCanvas\n"
            "from mnss_kernel.experiments import Session, load\n\n"
            f"experiment = load({experiment.name!r})\n"
            "canvas = TopologyCanvas(experiment.topology())\n"
            "canvas"
        ),
        _markdown("## 运行网络 / Run the network"),
        _code("lab = canvas.run()\nsession = Session(experiment, lab)"),
    ]
    for index, step in enumerate(experiment.steps):
        zh, en = step_text(step)
        note = step.get("note")
        why = f"\n\n{note['zh']}  \n*{note['en']}*" if note else ""
        label = f"（`{step['id']}`）" if "id" in step else ""
        cells.append(_markdown(f"## 第 {index + 1} 步{label}：{zh}\n\n*Step {index + 1}: {en}*{why}"))
        cells.append(_code(f"session.step({index})"))
    cells.append(_markdown("## 核对预期 / Check the expectations"))
    cells.append(_code("report = session.check()\nprint(report.text())\nassert report.ok, report.text()"))
    cells.append(_markdown("## 停止网络 / Stop the network"))
    cells.append(_code("canvas.stop()"))
    for number, cell in enumerate(cells):
        cell["id"] = f"{experiment.name[:50]}-{number}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "mnss": {"experiment": experiment.name},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
