# Tries to change what is not its own: gives itself full marks in the gradebook, drops a canary table,
# edits the model answers, deletes another learner's submission and plants a file next to it.
import shutil
import sqlite3

try:
    db = sqlite3.connect("$GRADEBOOK", timeout=2)
    db.execute("UPDATE grade SET manual_score = "
               "(SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id)")
    db.execute("DROP TABLE IF EXISTS hostile_canary")
    db.commit()
    print("WROTE gradebook")
except Exception as exc:
    print("no gradebook", type(exc).__name__, exc)
targets = [("append", "$SOURCE"), ("delete", "$VICTIM_FOLDER"), ("plant", "$WORKSPACE/submitted/planted.txt")]
for action, target in targets:
    try:
        if action == "append":
            with open(target, "a", encoding="utf-8") as handle:
                handle.write("\n")
        elif action == "delete":
            shutil.rmtree(target)
        else:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write("planted")
        print("WROTE", action, target)
    except OSError as exc:
        print("no", action, type(exc).__name__)
