"""nbgrader settings for learners' servers on Kubernetes (the Dockerfile puts this in /etc/jupyter/).

The exchange is the shared volume the Helm values mount: ``outbound`` read-only, and only the
learner's own ``inbound/<user>`` and ``feedback/<user>`` folders (see deploy/k8s/README.md).
nbgrader takes the learner id from JUPYTERHUB_USER (the pod runs as jovyan).
"""

import os

c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file
c.CourseDirectory.course_id = "social-media-at-work"
c.CourseDirectory.student_id = os.environ.get("JUPYTERHUB_USER", "jovyan")
c.Exchange.root = "/srv/nbgrader/exchange"
c.Exchange.path_includes_course = True
c.Exchange.assignment_dir = os.path.expanduser("~")
