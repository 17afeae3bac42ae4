# Asks for 16 GiB at once, then grows a list until memory runs out: the address-space limit says no.
try:
    blob = bytearray(16 * 2**30)
except MemoryError:
    print("16 GiB refused")
hoard = []
try:
    while True:
        hoard.append(bytearray(50 * 2**20))
except MemoryError:
    print("stopped after", len(hoard) * 50, "MiB")
del hoard
