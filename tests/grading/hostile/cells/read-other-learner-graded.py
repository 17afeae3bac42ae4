# Reads another learner's submission (and lists the others) to copy their answers.
import os

try:
    with open("$VICTIM", encoding="utf-8") as handle:
        text = handle.read()
    at = text.find("victim-canary")
    print("READ", text[at:at + 60])
except OSError as exc:
    print("no victim", type(exc).__name__)
try:
    print("SUBMITTED", sorted(os.listdir("$WORKSPACE/submitted")))
except OSError as exc:
    print("no listing", type(exc).__name__)
