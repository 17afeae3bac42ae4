# Never ends: the per-cell timeout interrupts it and the rest of the notebook runs.
while True:
    pass
