"""A stand-in for a running Lab in canvas unit tests: running, no node or link state, and a record
of the faults the canvas applies and reverts."""


class RunningLab:
    running = True

    def __init__(self, topology):
        self.topology = topology
        self.calls = []

    def status(self):
        return {"nodes": {}, "links": {}}

    def apply(self, effect):
        self.calls.append(("apply", effect))

    def revert(self, effect):
        self.calls.append(("revert", effect))
