# 100 MB of output in one message: more than the grader reads from a kernel.
print("x" * 100_000_000)
