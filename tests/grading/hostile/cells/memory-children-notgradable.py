# Eight child processes of 512 MiB each (4 GiB together, each well under the per-process address-space
# limit) hold their memory at the same time: only a limit on the whole submission stops that.
import subprocess
import sys

CHILD = "import sys, time; b = b'x' * (512 * 2**20); print('held', flush=True); time.sleep(3)"
children = [subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True) for _ in range(8)]
held = sum(1 for c in children if c.stdout.readline().strip() == "held")
for c in children:
    c.wait()
if held == len(children):
    print(f"ESCAPED: {held} child processes held {held * 512} MiB together")
else:
    print(f"only {held} of {len(children)} children held their memory")
