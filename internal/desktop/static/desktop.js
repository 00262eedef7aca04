// Agent Desktop: progressive enhancement only; every form works without it.
"use strict";

// A select marked data-autosubmit applies its choice at once (the button
// beside it stays for keyboard users who prefer it).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}
