// A group of native radio buttons for anywidget: one Tab stop, arrow keys move between the choices
// and pick them, Space picks the focused one, and screen readers hear "radio group" with its label.
// Native <input type="radio"> sharing one name do all of that in every browser; ipywidgets'
// RadioButtons give each input no shared name and the box no group role, so arrows did nothing.
let groups = 0;

function render({ model, el }) {
  const id = `smw-radio-${++groups}-${Math.random().toString(36).slice(2, 8)}`;
  const group = document.createElement("fieldset");
  group.className = "smw-radio-group";
  group.setAttribute("role", "radiogroup");
  group.setAttribute("aria-labelledby", `${id}-legend`);
  // Arrow keys belong to the radios here, not to JupyterLab's move-to-the-next-cell shortcuts.
  group.setAttribute("data-lm-suppress-shortcuts", "true");
  const legend = document.createElement("legend");
  legend.id = `${id}-legend`;
  group.append(legend);
  el.append(group);

  function sync() {
    for (const input of group.querySelectorAll("input")) {
      input.checked = input.value === model.get("value");
    }
  }
  function draw() {
    legend.textContent = model.get("description");
    group.querySelectorAll("label").forEach((node) => node.remove());
    model.get("options").forEach(([label, value], index) => {
      const option = document.createElement("label");
      option.className = "smw-radio-option";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = id;
      input.id = `${id}-${index}`;
      input.value = value;
      input.addEventListener("change", () => {
        if (input.checked) {
          model.set("value", value);
          model.save_changes();
        }
      });
      option.append(input, document.createTextNode(label));
      group.append(option);
    });
    sync();
  }
  model.on("change:options", draw);
  model.on("change:description", draw);
  model.on("change:value", sync);
  draw();
  return () => {
    model.off("change:options", draw);
    model.off("change:description", draw);
    model.off("change:value", sync);
  };
}

export default { render };
