// Agent Desktop: progressive enhancement only; every form works without it.
"use strict";

// A select marked data-autosubmit applies its choice at once (the button
// beside it stays for keyboard users who prefer it).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// In a message box marked data-enter-sends, Enter sends and Shift+Enter
// starts a new line.
for (const box of document.querySelectorAll("textarea[data-enter-sends]")) {
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      box.form.requestSubmit();
    }
  });
}

// A select marked data-refresh re-renders the form for the new choice (the
// Choose button beside it does the same without script).
for (const select of document.querySelectorAll("select[data-refresh]")) {
  select.addEventListener("change", () => {
    const choose = select.form.querySelector("button[formmethod=get]");
    if (choose) select.form.requestSubmit(choose);
  });
}

// A search box marked data-filter hides the items that do not contain its
// text as the agent types (Reload asks the server again).
for (const box of document.querySelectorAll("input[data-filter]")) {
  const items = () => box.form.querySelectorAll(box.dataset.filter);
  box.addEventListener("input", () => {
    const q = box.value.trim().toLowerCase();
    for (const li of items()) li.hidden = q !== "" && !li.textContent.toLowerCase().includes(q);
  });
}
