"""Social Media at Work: the course's own package.

Domain logic (policies, privacy, channels, brand voice), the notebooks' widgets, the trainer's
grading pipeline and the compliance reports. Importing it has no side effects; each subpackage is
imported on first use.
"""

__version__ = "0.1.0"
