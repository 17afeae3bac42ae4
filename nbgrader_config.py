"""nbgrader settings for working on the course itself: source notebooks in solutions/, released
notebooks in exercises/. Trainer workspaces (``course workspace init``) get their own config."""

from course.grading.nbconfig import configure

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
configure(c, source_directory="solutions", release_directory="exercises")
