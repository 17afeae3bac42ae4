# Forks without end: the process limit stops it; the kernel stops answering, so the notebook is not gradable.
import os

while True:
    os.fork()
