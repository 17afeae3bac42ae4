"""``python -m course.hub.app``: JupyterHub, waiting longer for its managed services to come up.

JupyterHub 5 gives a managed service about ten seconds to answer and then stops the hub. On a busy
2-core machine formgrader (a whole JupyterLab server) takes longer than that to import, so this
subclass keeps waiting, up to ``service_start_timeout``, for as long as the service is still running.
"""

from __future__ import annotations

import time
from typing import Any

from jupyterhub.app import JupyterHub
from jupyterhub.objects import Server
from jupyterhub.utils import AnyTimeoutError
from traitlets import Integer


class CourseHub(JupyterHub):
    service_start_timeout = Integer(180, config=True, help="Seconds a managed service may take to answer")

    async def start_service(self, service_name: str, service: Any, ssl_context: Any = None) -> bool:
        ready = await super().start_service(service_name, service, ssl_context)
        if ready or not service.managed or not service.url:
            return ready
        self.log.info("Still waiting for service %s (up to %d s)", service_name, self.service_start_timeout)
        deadline = time.monotonic() + self.service_start_timeout
        while time.monotonic() < deadline:
            if await service.spawner.poll() is not None:
                return False
            try:
                await Server.from_orm(service.orm.server).wait_up(http=True, timeout=2, ssl_context=ssl_context)
            except AnyTimeoutError:
                continue
            self.log.info("Service %s is up", service_name)
            return True
        return False


main = CourseHub.launch_instance

if __name__ == "__main__":
    main()
