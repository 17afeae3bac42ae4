// A live region that stays in the page while its text changes, so screen readers announce each new
// message (a region created together with its text is often not announced).
function render({ model, el }) {
  const region = document.createElement("div");
  region.className = "smw-live";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  el.append(region);
  const update = () => { region.innerHTML = model.get("value"); };
  model.on("change:value", update);
  update();
  return () => model.off("change:value", update);
}

export default { render };
