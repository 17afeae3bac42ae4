# Ends the kernel's own process.
import os

os._exit(0)
