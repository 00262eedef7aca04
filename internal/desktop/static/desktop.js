// Agent Desktop: progressive enhancement only; every form works without it.
"use strict";

// A select marked data-autosubmit applies its choice at once; one marked
// data-refresh re-renders its form for the new choice (the buttons beside
// them do the same without script).
document.addEventListener("change", (e) => {
  const select = e.target.closest("select");
  if (!select || !select.form) return;
  if (select.hasAttribute("data-autosubmit")) select.form.requestSubmit();
  if (select.hasAttribute("data-refresh")) {
    const choose = select.form.querySelector("button[formmethod=get]");
    if (choose) select.form.requestSubmit(choose);
  }
});

// In a message box marked data-enter-sends, Enter sends and Shift+Enter
// starts a new line.
document.addEventListener("keydown", (e) => {
  const box = e.target.closest("textarea[data-enter-sends]");
  if (box && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    box.form.requestSubmit();
  }
});

// A search box marked data-filter hides the items that do not contain its
// text as the agent types (Reload asks the server again).
document.addEventListener("input", (e) => {
  const box = e.target.closest("input[data-filter]");
  if (!box) return;
  const q = box.value.trim().toLowerCase();
  for (const li of box.form.querySelectorAll(box.dataset.filter)) {
    li.hidden = q !== "" && !li.textContent.toLowerCase().includes(q);
  }
});

// Live updates: the server says when what this page shows changed; the page
// then re-reads itself and swaps the regions marked data-live, leaving alone
// what the agent is typing.
const live = document.body.dataset;
if (live.liveSince && window.EventSource) {
  const params = new URLSearchParams({ since: live.liveSince });
  if (live.liveId) params.set("id", live.liveId);
  const events = new EventSource("/events?" + params);
  events.addEventListener("changed", async () => {
    const resp = await fetch(location.href, { credentials: "same-origin" });
    if (!resp.ok) return;
    const fresh = new DOMParser().parseFromString(await resp.text(), "text/html");
    for (const region of document.querySelectorAll("[data-live]")) {
      const next = fresh.getElementById(region.id);
      if (next && !region.contains(document.activeElement)) region.replaceWith(next);
    }
  });
}

// An element marked data-countdown shows the seconds left until its time
// (an offer's timeout, a wrap-up's default reason); the server's clock time
// beside it stays the reference without script.
setInterval(() => {
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const left = Math.max(0, Math.round((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
    el.textContent = "(" + left + " s)";
  }
}, 1000);
