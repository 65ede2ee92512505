"""JupyterHub as `mnss-hub run` starts it: stock JupyterHub with a clean stop and services
started side by side.

On SIGTERM, JupyterHub stops its services first but leaves its periodic service health check
running; a check that runs after a service is gone fails with an AttributeError traceback in
the log (JupyterHub 5/6). Stopping the periodic callbacks before the clean-up avoids that.

JupyterHub starts and stops its managed services one after the other, waiting for each. With a
formgrader per course (twelve in the embedded default, a few seconds each) the hub took over a
minute to come up; started together they take as long as the slowest. A course's formgrader that
does not come up is logged and the platform stays up (JupyterHub would exit); the other services
still stop the hub when they fail.

The routes of the servers that still run go back into the proxy before the services start, not
after them, so the labs stay reachable while a restarted hub waits for its services.
"""

from __future__ import annotations

import asyncio
import signal
import time

from jupyterhub import app

from mnss_courses.exchange.names import FORMGRADER_PREFIX

from . import leftovers

SERVICE_GRACE = 4  # seconds a managed service has to end after SIGTERM when the hub stops


class JupyterHub(app.JupyterHub):
    """JupyterHub whose shutdown stops its periodic checks before services and servers go.

    Same class name as the stock one, so log lines and `c.JupyterHub` settings read the same."""

    _service_starts: dict | None = None

    async def start_service(self, service_name, service, ssl_context=None) -> bool:
        """The first call puts the routes back and starts every service at once; each call then
        waits for its own."""
        if self._service_starts is None:
            await self.routes_before_services()
            self._service_starts = {
                name: asyncio.ensure_future(app.JupyterHub.start_service(self, name, svc, ssl_context))
                for name, svc in self._service_map.items()
            }
        if service_name not in self._service_starts:  # a service added later
            return await super().start_service(service_name, service, ssl_context)
        ready = await self._service_starts[service_name]
        if not ready and service_name.startswith(FORMGRADER_PREFIX):
            self.log.error(
                "The formgrader %s did not start; the hub goes on without it (see its lines above)", service_name
            )
            return True
        return ready

    async def routes_before_services(self) -> None:
        """The routes of the servers still running, in the proxy as soon as the hub listens.
        JupyterHub adds them only once every managed service is up, so after a hub restart (a
        crash, `kill -9`) every running learner's lab answered 404 for as long as the slowest
        formgrader took to start (50 s in the chaos drill, load 13). The hub's own route still
        comes after the services, so the hub answers only once they are up, as before."""
        running = [(user, name) for user in self.users.values() for name, s in user.spawners.items() if s.ready]
        results = await asyncio.gather(*(self.proxy.add_user(u, name) for u, name in running), return_exceptions=True)
        for (user, name), result in zip(running, results, strict=True):
            if isinstance(result, Exception):  # JupyterHub checks every route again after the services
                self.log.error("Putting back the route of %s's server %r failed: %s", user.name, name, result)

    async def init_spawners(self):
        """First an end to what servers left that the database does not know (a spawn or stop
        the hub crashed in); it is listed before the hub serves anyone, so no new spawn is taken
        for a leftover. Then JupyterHub's own check of the servers it knows."""
        await leftovers.sweep(self)
        return await super().init_spawners()

    async def cleanup(self):
        """Stop the periodic checks, then every managed service at once, then the rest as
        JupyterHub does. JupyterHub stops services one by one and polls each with a growing
        back-off (up to 5 s between looks), so a dozen services took the hub over 10 s to stop;
        here all get SIGTERM together and are looked at every 0.1 s. SIGTERM, not SIGINT: a
        formgrader is a Jupyter server, which answers SIGINT by asking "Shutdown this Jupyter
        server?" on a terminal it does not have, waits 5 s and then keeps running. One still
        shutting down after SERVICE_GRACE seconds is killed, so the hub stops within 10 s."""
        for callback in getattr(self, "_periodic_callbacks", {}).values():
            callback.stop()
        managed = [s for s in getattr(self, "_service_map", {}).values() if s.managed and s.spawner]
        for service in managed:
            service.spawner.stop_polling()
            if await service.spawner.poll() is None:
                await service.spawner._signal(signal.SIGTERM)
        deadline = time.monotonic() + SERVICE_GRACE
        while time.monotonic() < deadline:
            if all([await s.spawner.poll() is not None for s in managed]):
                break
            await asyncio.sleep(0.1)
        for service in managed:  # a service still shutting down after the grace ends now
            if await service.spawner.poll() is None:
                self.log.warning("Service %s did not stop within %d s of SIGTERM: killed", service.name, SERVICE_GRACE)
                await service.spawner._signal(signal.SIGKILL)
        # JupyterHub's own stop then finds each ended and lets go of it
        results = await asyncio.gather(*(s.stop() for s in managed), return_exceptions=True)
        for service, result in zip(managed, results, strict=True):
            if isinstance(result, Exception):
                self.log.error("Stopping service %s failed: %s", service.name, result)
        await super().cleanup()


main = JupyterHub.launch_instance

if __name__ == "__main__":
    main()
