"""Get the Docker engine ready for the 'docker' mode before the hub starts, or say what is wrong.

The hub API and services listen on the user network's host address, so that network must exist
first. Everything here is idempotent: a second `mnss-hub run` finds it all in place.
"""

from __future__ import annotations

import docker
from docker.errors import APIError, DockerException, ImageNotFound

from .apply import service_ip
from .siteconfig import ConfigError

NO_ICC = {"com.docker.network.bridge.enable_icc": "false"}


def prepare(site: dict) -> None:
    """Check the engine and images, create the user network; ConfigError lists every problem."""
    settings = site["docker"]
    try:
        client = docker.from_env(timeout=30)
        info = client.info()
    except DockerException as err:
        raise ConfigError("(docker)", [f"the Docker engine is not reachable ({err}); start dockerd "
                                       "(see README, 'Docker mode')"]) from None
    problems = []
    if settings["require_userns_remap"] and not any("userns" in opt for opt in info.get("SecurityOptions", [])):
        problems.append("docker.require_userns_remap: dockerd does not run with userns-remap, so root in a lab "
                        "container would be root on this host; start dockerd with --userns-remap=default "
                        "(see README, 'Who is root where')")
    for image in [settings["image"], *settings["allowed_images"]]:
        try:
            client.images.get(image)
        except ImageNotFound:
            problems.append(f"docker image {image!r} is not on this machine; build it with `make images`")
    if not problems:
        problems += _ensure_network(client, settings["network"], settings["subnet"], service_ip(site))
    if problems:
        raise ConfigError("(docker)", problems)


def _ensure_network(client, name: str, subnet: str, gateway: str) -> list[str]:
    found = client.networks.list(names=[name])
    network = next((n for n in found if n.name == name), None)
    if network is None:
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet, gateway=gateway)])
        try:
            client.networks.create(name, driver="bridge", ipam=ipam, options=NO_ICC,
                                   labels={"org.mnss-lab.role": "users"})
        except APIError as err:
            return [f"docker.subnet: cannot create network {name!r} on {subnet}: {err.explanation}"]
        return []
    attrs = network.attrs
    subnets = [pool.get("Subnet") for pool in (attrs.get("IPAM") or {}).get("Config") or []]
    problems = []
    if subnet not in subnets:
        problems.append(f"docker.network: {name!r} exists with subnet {subnets}, not {subnet}; "
                        "remove it (docker network rm) or set docker.subnet to match")
    if (attrs.get("Options") or {}).get("com.docker.network.bridge.enable_icc") != "false":
        problems.append(f"docker.network: {name!r} lets containers reach each other (enable_icc is not "
                        "false); remove it and `mnss-hub run` creates it isolated")
    return problems
