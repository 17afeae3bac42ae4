# Never ends and prints as fast as it can: output is cut at the cap, then the cell is interrupted.
while True:
    print("spam " * 200)
