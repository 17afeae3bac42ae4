# Eight child processes of 512 MiB each (4 GiB together, each well under the per-process address-space
# limit) hold their memory at the same time: only a limit on the whole submission stops that.
# Each child holds its memory until every child has said so (its stdin closes), however slowly they
# start on a busy machine.
import subprocess
import sys

CHILD = "import sys; b = b'x' * (512 * 2**20); print('held', flush=True); sys.stdin.read()"
children = [subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(8)]
held = sum(1 for c in children if c.stdout.readline().strip() == "held")
for c in children:
    c.stdin.close()
    c.wait()
if held == len(children):
    print(f"ESCAPED: {held} child processes held {held * 512} MiB together")
else:
    print(f"only {held} of {len(children)} children held their memory")
