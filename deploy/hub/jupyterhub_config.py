"""JupyterHub configuration of the company deployment: everything is built by ``course.hub``.

Run it with ``make hub`` (or ``course hub up``), which prepares the machine first. The settings
file is ``$COURSE_HUB_SETTINGS`` (default: ``deploy/hub/hub.yaml`` next to this file).
"""

import os
from pathlib import Path

from course.hub.config import configure
from course.hub.settings import load_settings

c = get_config()  # noqa: F821 - provided by JupyterHub
settings_file = os.environ.get("COURSE_HUB_SETTINGS") or str(Path(__file__).with_name("hub.yaml"))
configure(c, load_settings(settings_file))
