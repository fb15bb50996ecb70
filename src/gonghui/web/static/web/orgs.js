// The union tree panel (web/_tree.html): open and close loaded nodes. The first opening of
// a node loads its children through htmx (hx-get ... once); afterwards the button toggles.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".tree-panel button.twisty");
  if (!button) return;
  const item = button.closest("li");
  if (!button.hasAttribute("data-loaded")) {
    button.setAttribute("data-loaded", "");
    item.setAttribute("aria-expanded", "true");
    button.textContent = "▾";
    button.setAttribute("aria-label", "收起");
    return; // htmx loads the children
  }
  const open = item.getAttribute("aria-expanded") === "true";
  item.setAttribute("aria-expanded", open ? "false" : "true");
  button.textContent = open ? "▸" : "▾";
  button.setAttribute("aria-label", open ? "展开" : "收起");
});

// Narrow screens: the panel starts folded above the list (its summary names the node).
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(max-width: 800px)").matches) {
    document.querySelectorAll(".tree-panel details.tree-box").forEach((box) => box.removeAttribute("open"));
  }
});

// Organisation pickers (orgs/fields.py): typing in the box above a select leaves only the
// units whose full path or code contains the text; a single match is chosen.
document.addEventListener("input", (event) => {
  const box = event.target.closest(".org-picker input.org-filter");
  if (!box) return;
  const select = box.parentElement.querySelector("select");
  const text = box.value.trim().toLowerCase();
  const shown = [];
  for (const option of select.options) {
    const hit = !option.value || !text
      || option.text.toLowerCase().includes(text)
      || (option.dataset.code || "").toLowerCase().includes(text);
    option.hidden = !hit;
    if (hit && option.value) shown.push(option);
  }
  if (shown.length === 1) select.value = shown[0].value;
  else if (select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = "";
});

// Pickers over many units: the box asks the server (the tree panel's search, the viewer's
// scope) and the select is refilled with the hits.
let orgSearchTimer = null;
document.addEventListener("input", (event) => {
  const box = event.target.closest(".org-picker input.org-search");
  if (!box) return;
  clearTimeout(orgSearchTimer);
  orgSearchTimer = setTimeout(async () => {
    const select = box.parentElement.querySelector("select");
    const text = box.value.trim();
    if (!text) return;
    const response = await fetch(`${box.dataset.url}&q=${encodeURIComponent(text)}`, {
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const empty = select.querySelector('option[value=""]');
    select.innerHTML = await response.text();
    if (empty) select.prepend(empty);
    const found = [...select.options].filter((option) => option.value);
    select.value = found.length === 1 ? found[0].value : "";
  }, 300);
});
