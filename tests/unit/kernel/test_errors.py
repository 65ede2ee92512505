"""The engine's errors are MnssErrors: a code, both languages, details; a problem's Chinese comes
from its code, and a problem the catalogue cannot fill keeps its own words instead of failing."""

import pickle

import pytest

from mnss_foundation.errors import MnssError
from mnss_foundation.problem import Problem
from mnss_kernel.runtime import EngineError
from mnss_kernel.topology import Topology, TopologyError


def test_an_invalid_topology_is_named_in_both_languages():
    with pytest.raises(TopologyError) as info:
        Topology.from_dict({"nodes": [{"name": "h1", "kind": "host"}, {"name": "h1", "kind": "host"}], "links": []})
    err = info.value
    assert isinstance(err, MnssError) and err.code == "invalid_topology"
    assert "节点 h1：该名称被使用了 2 次" in err.message("zh-CN")
    assert "the name is used 2 times" in err.message("en") == str(err)
    assert err.details["problems"] == [str(p) for p in err.problems]


def test_a_problem_the_catalogue_cannot_fill_keeps_its_words():
    err = TopologyError([Problem("no node named 'x'", "no_node", where="link a-b", wrong="x"), "plain"], "t.yaml")
    assert err.zh == "拓扑无效 t.yaml：\n  - no node named 'x'\n  - plain"
    again = pickle.loads(pickle.dumps(err))
    assert (again.zh, again.problems[0].code, again.source) == (err.zh, "no_node", "t.yaml")


def test_an_engine_error_keeps_its_words_and_says_so_in_chinese():
    err = EngineError("ip link add failed: File exists")
    assert str(err) == "ip link add failed: File exists" and err.code == "engine_failed"
    assert err.message("zh-CN") == "网络引擎报错：ip link add failed: File exists"
    assert pickle.loads(pickle.dumps(err)).details == {"detail": "ip link add failed: File exists"}
