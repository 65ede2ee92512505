"""MovieLens-100k as a public sanity check, read from files already on this machine.

RecBole's wheel (recbole==1.2.1 on PyPI) ships recbole/dataset_example/ml-100k/ (atomic files
ml-100k.inter and ml-100k.item). Nothing is downloaded here: point `locate` at that wheel
(`pip download --no-deps recbole==1.2.1 -d DIR`), at an unpacked folder, or at the .inter file;
or set MNSS_ML100K; an installed recbole distribution is found too.

Each rating becomes a "graded" event with score rating/5; each movie an item "ml-100k/<id>" whose
category is its first genre and whose text is its title and genres (no prerequisites).
"""

from __future__ import annotations

import io
import os
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .catalog import Catalog, Item
from .events import KINDS
from .interactions import EventLog

MEMBER = "recbole/dataset_example/ml-100k/ml-100k"


def locate(path: str | Path | None = None) -> Path | None:
    """The wheel, folder or .inter file to read, or None when ML-100k is not on this machine."""
    candidates = [path, os.environ.get("MNSS_ML100K")]
    for c in filter(None, candidates):
        p = Path(c)
        if p.is_dir():
            wheels = sorted(p.glob("recbole-*.whl"))
            if wheels:
                return wheels[-1]
            for inter in (p / "ml-100k.inter", p / f"{MEMBER}.inter"):
                if inter.is_file():
                    return inter
        elif p.is_file():
            return p
    try:
        dist = metadata.distribution("recbole")
    except metadata.PackageNotFoundError:
        return None
    inter = Path(dist.locate_file(f"{MEMBER}.inter"))
    return inter if inter.is_file() else None


def _read(source: Path, suffix: str) -> str:
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as z:
            return z.read(f"{MEMBER}.{suffix}").decode("utf-8", "replace")
    return source.with_suffix(f".{suffix}").read_text("utf-8", "replace")


def load(source: str | Path) -> tuple[Catalog, EventLog]:
    source = Path(source)
    inter = pd.read_csv(io.StringIO(_read(source, "inter")), sep="\t")
    inter.columns = [c.split(":")[0] for c in inter.columns]
    items = pd.read_csv(io.StringIO(_read(source, "item")), sep="\t", dtype=str, keep_default_na=False)
    items.columns = [c.split(":")[0] for c in items.columns]
    catalog_items = []
    for row in items.itertuples(index=False):
        genres = row[3].split() if len(row) > 3 else []
        title = f"{row[1]} ({row[2]})" if row[2] else row[1]
        catalog_items.append(
            Item(
                id=f"ml-100k/{row[0]}",
                title_zh=title,
                title_en=title,
                category=(genres[0].lower() if genres else "unknown"),
                tags=tuple(g.lower() for g in genres),
                text=f"{row[1]} {' '.join(genres)}",
            )
        )
    catalog = Catalog(tuple(catalog_items))
    log = EventLog(
        np.array([f"ml-{u}" for u in inter["user_id"]], dtype=object),
        np.array([f"ml-100k/{i}" for i in inter["item_id"]], dtype=object),
        np.full(len(inter), KINDS.index("graded"), np.int8),
        inter["timestamp"].to_numpy(np.float64),
        (inter["rating"].to_numpy(np.float64) / 5.0),
    )
    return catalog, log
