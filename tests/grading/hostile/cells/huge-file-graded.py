# Writes a 200 MB file and 40 files of 5 MB: the file-size limit refuses the first, the folder quota allows the rest.
try:
    with open("huge.bin", "wb") as handle:
        handle.write(b"0" * 200_000_000)
except OSError as exc:
    print("refused:", exc)
for i in range(40):
    with open(f"part-{i}.bin", "wb") as handle:
        handle.write(b"1" * 5_000_000)
