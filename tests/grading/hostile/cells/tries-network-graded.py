# Connects out: to a service on this machine (the test's listener) and to the internet.
import socket

for host, port in [("127.0.0.1", int("$PORT")), ("1.1.1.1", 53)]:
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"LEAK from the sandbox")
        print("CONNECTED", host, port)
    except OSError as exc:
        print("no", host, type(exc).__name__)
