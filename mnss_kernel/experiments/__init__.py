"""The research catalog: experiments declared as data, one YAML file each in catalog/.

An experiment names a bundled topology template with its parameters, the steps done on it as a
real emulated network (measurements, faults and their repairs) and what those steps must measure.
`model` reads and checks a file (experiment.schema.json, then against the built topology),
`runner` does the steps on a lab and checks the expectations, `notebook` turns an experiment into
the ready notebook a learner opens.

The catalog lives in the engine, beside the templates it builds on, so a learner's kernel loads an
experiment by name (`load("ward-baseline")`) and the hub, a layer above, reads the same files.
"""

from .model import Experiment, ExperimentError, catalog_dir, check, load, names

# The runner (pandas, the runtime) loads on first use: every learner's Jupyter server reads the
# catalog when it starts (mnss_activity's research pages) and never runs an experiment itself.
_RUNNER_NAMES = ("Report", "Session", "run")


def __getattr__(name: str):
    if name in _RUNNER_NAMES:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Experiment", "ExperimentError", "Report", "Session", "catalog_dir", "check", "load", "names", "run"]
