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
