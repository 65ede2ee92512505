"""A made-up catalog of any size, shaped like the real one, for benchmarks and tests.

Courses of 2-6 assignments in the five categories; inside a course most assignments need the one
before; intermediate and advanced courses need one or two earlier courses (so no cycles). Each
notebook's text mixes words of its category and of its course's topic, so content similarity has
something to find.
"""

from __future__ import annotations

import numpy as np

from .catalog import LEVELS, Catalog, Item
from .profiles import CATEGORIES

WORDS = {
    "networks": (
        "vlan switch router subnet gateway firewall acl ospf bgp dhcp dns wifi ssid trunk port "
        "latency bandwidth iperf ping nat vpn qos 交换机 路由 子网 防火墙 无线 隔离 网关 带宽"
    ),
    "systems": (
        "linux server backup restore systemd disk raid storage cluster virtualization patch "
        "monitoring log cron user permission kernel container 服务器 备份 存储 监控 日志 补丁 虚拟化"
    ),
    "programming": (
        "python function class loop list dict test api json http request parse script "
        "module package debug exception hl7 fhir interface 函数 接口 脚本 调试 测试 解析"
    ),
    "data": (
        "sql table query join index pandas dataframe report statistics chart cleaning warehouse "
        "etl schema patient record 数据 报表 统计 查询 清洗 病历 指标"
    ),
    "ai": (
        "model training classifier regression feature label image imaging pacs nlp embedding "
        "evaluation accuracy inference 模型 训练 分类 影像 特征 评估 推理"
    ),
}


def synthetic_catalog(n_items: int = 300, seed: int = 0) -> Catalog:
    rng = np.random.default_rng(seed)
    items: list[Item] = []
    courses: list[tuple[str, str, list[str]]] = []  # (course id, category, item ids)
    topic_pool = [f"topic{n:03d}" for n in range(400)]
    c = 0
    while len(items) < n_items:
        category = CATEGORIES[c % len(CATEGORIES)]
        level = LEVELS[min(2, int(rng.choice(3, p=[0.45, 0.35, 0.2])))] if c >= len(CATEGORIES) else "beginner"
        cid = f"{category[:3]}-{c:03d}"
        size = int(min(rng.integers(2, 7), n_items - len(items)))
        words = WORDS[category].split()
        topic = list(rng.choice(topic_pool, 4, replace=False))
        tags = tuple(rng.choice(words[:20], 3, replace=False))
        course_pre: set[str] = set()
        if level != "beginner":
            same = [x for x in courses if x[1] == category] or courses
            picks = rng.choice(len(same), min(len(same), int(rng.integers(1, 3))), replace=False)
            for p in picks:
                course_pre.update(same[p][2] if rng.random() < 0.5 else same[p][2][-1:])
        ids = []
        for position in range(size):
            iid = f"{cid}/part-{position + 1}"
            pre = set(course_pre)
            if position > 0 and rng.random() < 0.8:
                pre.add(ids[-1])
            text_words = list(rng.choice(words, 25)) + list(rng.choice(topic, 15)) + [f"{cid}-p{position}"]
            items.append(
                Item(
                    id=iid,
                    title_zh=f"{cid} 第{position + 1}部分",
                    title_en=f"{cid} part {position + 1}",
                    category=category,
                    level=level,
                    tags=tags,
                    text=" ".join(text_words),
                    prerequisites=frozenset(pre),
                    live_network=category == "networks",
                    position=position,
                )
            )
            ids.append(iid)
        courses.append((cid, category, ids))
        c += 1
    return Catalog(tuple(items))
