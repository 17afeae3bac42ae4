# Opens network sockets of every family but AF_UNIX (TCP, UDP, IPv6, netlink, raw packets).
# Prints ESCAPED when the kernel lets it through, else "denied" with the error (the system-call filter
# of the sandbox answers EPERM, "Operation not permitted").
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)


def attempt(what, result):
    if result == -1:
        err = ctypes.get_errno()
        print("denied", what, os.strerror(err))
    else:
        print("ESCAPED", what, result)



for name, family, kind in [("AF_INET", 2, 1), ("AF_INET6", 10, 2), ("AF_NETLINK", 16, 3), ("AF_PACKET", 17, 3)]:
    attempt(f"socket({name})", libc.socket(family, kind, 0))
