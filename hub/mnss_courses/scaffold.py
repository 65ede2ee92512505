"""`mnss course new`: a course folder in the structure docs/authoring.md describes, ready to validate:
course.yaml, one tutorial (bilingual text around its experiment: canvas, run, measure, clean up)
and one assignment with a solution cell and visible and hidden tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from .authoring import AssignmentNotebook

TUTORIAL = """\
# 第一个教程 / First tutorial

> 本教程的结构见 docs/authoring.md：中文在前，英文紧随其后；实验就在正文旁边。
> The structure is in docs/authoring.md: Chinese first, English alongside; the experiment sits beside the text.

## 学习目标 / Goals

- 目标一（写清楚学完能做什么）。
- Goal one (say what the learner can do afterwards).

## 概念 / The idea

在这里用中文讲解概念，联系医院的真实场景（只用合成数据）。每个教程至少 800 个汉字。

Explain the idea in English here, alongside the Chinese, with the same facts and figures.

## 实验：画布上的网络 / Experiment: the network on the canvas

下面的单元格把本教程的拓扑放到画布上。/ The cell puts this tutorial's topology on the canvas.

```python
from mnss_kernel.canvas import TopologyCanvas

topology = {
    "name": "ward",
    "nodes": [
        {"name": "ns1", "kind": "nurse_station", "ip": "10.0.1.11/24"},
        {"name": "emr1", "kind": "emr", "ip": "10.0.1.10/24"},
        {"name": "s1", "kind": "switch"},
    ],
    "links": [{"a": "ns1", "b": "s1"}, {"a": "emr1", "b": "s1"}],
}
canvas = TopologyCanvas(topology, key="first-tutorial")
canvas
```

运行网络（与画布上的“运行”按钮相同）。/ Run the network (the canvas's Run button does the same).

```python
canvas.run()
```

测量：每对设备互相 ping。/ Measure: every pair pings.

```python
canvas.ping_all()
```

## 想一想 / Think about it

- 一个问题。/ A question.

## 清理 / Clean up

```python
canvas.stop()
```
"""


# Left for the author: the works the course's facts are checked against (docs/authoring.md).
REFERENCES = """\
# references:  # 4 to 6 works this course relies on and was checked against; https only
#   - title: "RFC 791: Internet Protocol"
#     url: https://www.rfc-editor.org/rfc/rfc791
#     note: {zh: "IPv4 地址与报文格式", en: "IPv4 addresses and the packet format"}
"""


def new_course(root: Path, course_id: str, category: str) -> None:
    """Write the course folder `root` (which must not exist yet)."""
    meta = {
        "id": course_id,
        "title": {"zh": "新课程", "en": "New course"},
        "category": category,
        "level": "beginner",
        "minutes": 60,
        "tutorials": [
            {
                "id": "first-tutorial",
                "title": {"zh": "第一个教程", "en": "First tutorial"},
                "file": "tutorials/first-tutorial.md",
                "minutes": 20,
            }
        ],
        "assignments": [{"id": "first", "title": {"zh": "第一个作业", "en": "First assignment"}, "minutes": 40}],
    }
    (
        AssignmentNotebook()
        .text(
            "# 第一个作业 / First assignment\n\n"
            "写函数 `double(x)`，返回 `2 * x`。/ Write `double(x)` returning `2 * x`."
        )
        .answer("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
        .tests(
            "double-tests",
            1,
            "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS",
        )
        .save(root / "source" / "first" / "first.ipynb")
    )
    (root / "tutorials").mkdir(parents=True, exist_ok=True)
    (root / "tutorials" / "first-tutorial.md").write_text(TUTORIAL, "utf-8")
    (root / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + REFERENCES, "utf-8")
