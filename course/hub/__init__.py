"""Hub-side Python for the company deployment: sign-in, roster sync, the compliance service."""
