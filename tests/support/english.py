"""Finding English left in a Chinese page: words of Latin letters not on the allow-list."""

import re

# Words that stay as they are in Chinese: proper names, units, protocols, file formats.
ALLOWED = {"IP", "IPv4", "MTU", "VLAN", "Mbit", "ms", "tcp", "udp", "any", "Web", "PACS", "HIS", "EMR", "LIS", "NAT"}
ALLOWED |= {"MNSS", "YAML", "JSON", "Mininet", "containerlab", "cytoscape", "js", "yaml", "yml", "json", "py"}
ALLOWED |= {"clab", "cyjs", "dagre", "cola", "klay"}  # cytoscape.js layouts by name
# Node names as the canvas makes them (h1, s2, fw1, b1d1w3 ...), and the campus template's names.
NODE_NAME = re.compile(r"^([a-z]{1,4}\d+)+[a-z]?\d*$|^(core|bbsw|dcsw|gsw|pacs|his|emr|lis|db|fw|nat|inet)$")


def english_words(text: str, extra: set[str] = frozenset()) -> list[str]:
    """The words of `text` (HTML tags and entities removed) that are neither allowed nor node names."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]+", re.sub(r"<[^>]+>|&#x27;|&[a-z]+;", " ", text))
    return [w for w in words if w not in ALLOWED | extra and not NODE_NAME.match(w)]
