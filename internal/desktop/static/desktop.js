// Agent Desktop: progressive enhancement only; every form works without it.
"use strict";

// A select marked data-refresh="/page" re-renders its form (or the form's
// dialog) from that page for the new choice: a channel's entry points, a
// template's variables (without script, a Choose button does the same).
document.addEventListener("change", (e) => {
  const select = e.target.closest("select[data-refresh]");
  if (select && select.form) rerender(select.form, select.dataset.refresh);
});

async function rerender(form, page) {
  const resp = await fetch(page + "?" + query(new FormData(form)), { credentials: "same-origin" });
  const body = await resp.text();
  const fresh = parse(body).getElementById(form.getAttribute("id"));
  if (!fresh) return refuse(form, null, resp.ok ? "" : body);
  const dialog = form.closest("dialog");
  replaceKeepingFocus(dialog || form, dialog ? fresh.closest("dialog") : fresh);
}

// A template's preview shows each variable as it is typed.
document.addEventListener("input", (e) => {
  const box = e.target.closest("input[data-var]");
  if (!box) return;
  for (const mark of box.form.querySelectorAll("mark[data-var]")) {
    if (mark.dataset.var === box.dataset.var) mark.textContent = box.value || "[" + box.dataset.var + "]";
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

document.addEventListener("input", (e) => {
  filter(e.target.closest("input[data-filter]"));
  countSegments(e.target.closest("textarea[data-segments]"));
});

// A search box marked data-filter hides the items that do not contain its
// text as the agent types (Reload asks the server again).
function filter(box) {
  if (!box) return;
  const q = box.value.trim().toLowerCase();
  for (const li of box.form.querySelectorAll(box.dataset.filter)) {
    li.hidden = q !== "" && !li.textContent.toLowerCase().includes(q);
  }
}

// An SMS message box shows how many segments its text is sent as, by the
// server's rules: GSM-7 (extension characters take two septets) in parts of
// 160, or 153 when concatenated; anything else UCS-2 in 70, or 67.
function countSegments(box) {
  if (!box) return;
  const basic = box.dataset.gsm, ext = box.dataset.gsmExtension;
  let units = [], gsm = true;
  for (const ch of box.value) units.push(basic.includes(ch) ? 1 : ext.includes(ch) ? 2 : (gsm = false, 0));
  if (!gsm) units = [...box.value].map((ch) => (ch.codePointAt(0) > 0xffff ? 2 : 1));
  const [single, part] = gsm ? [160, 153] : [70, 67];
  const total = units.reduce((a, b) => a + b, 0);
  let parts = total === 0 ? 0 : 1, used = 0;
  if (total > single) for (const u of units) { if (used + u > part) { parts++; used = 0; } used += u; }
  document.getElementById(box.dataset.segments).querySelector("[data-segment-count]").textContent = parts;
}

// Dialogs. A form marked data-dialog opens the dialog of the page it asks
// for over this page (modal: focus moves into it, and back to the button
// that opened it when it closes). A dialog the server renders open and
// marked data-modal (an offer, a wrap-up, the dialog page itself) becomes
// modal too; one marked data-keep must be answered: Escape only makes it
// stop being modal (an offer times out by itself).
async function openDialog(form) {
  const url = form.action + "?" + query(new FormData(form));
  const resp = await fetch(url, { credentials: "same-origin" });
  const dialog = resp.ok && parse(await resp.text()).querySelector("dialog[data-modal]");
  if (!dialog) return location.assign(url);
  const opener = form.querySelector("button");
  dialog.removeAttribute("open");
  delete dialog.dataset.return;
  document.body.append(dialog);
  dialog.addEventListener("close", () => { dialog.remove(); opener.focus(); });
  dialog.showModal();
}

function upgrade(root) {
  for (const d of root.querySelectorAll("dialog[data-modal][open]")) {
    if (d.matches(":modal")) continue;
    d.removeAttribute("open");
    d.showModal();
  }
}

document.addEventListener("close", (e) => {
  const d = e.target;
  if (d.open) return; // closed and opened again since
  if (d.dataset.return) location.assign(d.dataset.return);
  else if (d.matches("[data-keep]") && d.isConnected && !leaving) d.show(); // stays on the page, no longer modal
}, true);

document.addEventListener("click", (e) => {
  const cancel = e.target.closest("dialog [data-close]");
  if (!cancel) return;
  e.preventDefault();
  cancel.closest("dialog").close();
});

// A form marked data-fetch is sent without leaving the page: when it took
// effect the page goes where the server says; a refusal comes back in place
// (its alert and the next request id), leaving alone everything the agent
// typed or attached. A GET button (Reload) re-renders the form's dialog or
// the form itself, as choosing another channel or template does.
document.addEventListener("submit", async (e) => {
  const form = e.target;
  if (form.matches("[data-dialog]")) {
    e.preventDefault();
    return openDialog(form);
  }
  if (!form.matches("[data-fetch]")) return;
  e.preventDefault();
  const get = e.submitter && e.submitter.getAttribute("formmethod") === "get";
  const action = (e.submitter && e.submitter.getAttribute("formaction")) || form.getAttribute("action");
  if (get) return rerender(form, action); // Reload, or Choose without script
  const data = new FormData(form, e.submitter);
  if (form.dataset.busy) return; // a double click sends once
  form.dataset.busy = "1";
  try {
    const resp = await fetch(action, { method: "POST", body: data, credentials: "same-origin" });
    const body = await resp.text();
    if (resp.redirected && !samePage(resp.url)) return location.assign(resp.url);
    if (resp.redirected) { // back to this page: close the dialog, show the page as it is now, the form emptied
      const page = parse(body), dialog = form.closest("dialog");
      if (dialog) dialog.close();
      swapLive(page);
      const next = !dialog && page.getElementById(form.getAttribute("id"));
      return next && replaceKeepingFocus(form, next);
    }
    // getAttribute: a form with a field named "id" hides its own id property.
    const fresh = parse(body).getElementById(form.getAttribute("id"));
    refuse(form, fresh, resp.ok ? "" : body);
  } finally {
    delete form.dataset.busy;
  }
});

// A form sent the ordinary way is taking the browser to the next page:
// from then on the live updates leave this one alone (swapping out the form
// being sent could cancel it).
let leaving = false;
document.addEventListener("submit", (e) => { if (!e.defaultPrevented) leaving = true; });

function refuse(form, fresh, text) {
  const slot = form.querySelector("[data-alert-slot]");
  const next = fresh && fresh.querySelector("[data-alert-slot]");
  if (next) slot.replaceWith(next);
  else slot.innerHTML = '<p class="alert" role="alert"></p>', slot.firstChild.textContent = text;
  const request = fresh && fresh.querySelector("input[name=request]");
  if (request) form.querySelector("input[name=request]").value = request.value;
}

function replaceKeepingFocus(old, fresh) {
  const was = document.activeElement, inside = was && old.contains(was);
  if (old.matches("dialog")) old.replaceChildren(...fresh.childNodes);
  else old.replaceWith(fresh);
  if (!inside) return;
  const region = old.matches("dialog") ? old : fresh;
  const again = was.id ? document.getElementById(was.id)
    : [...region.querySelectorAll(was.tagName)].find((e) => e.textContent === was.textContent);
  if (again) again.focus();
}

// What a region shows, without the request ids each rendering draws anew.
function shownHTML(region) {
  return region.outerHTML.replace(/name="request" value="[^"]*"/g, "");
}

function samePage(url) {
  const u = new URL(url), here = new URL(location.href);
  return u.pathname === here.pathname && u.searchParams.get("id") === here.searchParams.get("id");
}

function query(data) {
  const q = new URLSearchParams();
  for (const [k, v] of data) if (typeof v === "string") q.append(k, v);
  return q;
}

// parse reads a page fetched for this one. DOMParser parses as if script
// were off, so what a <noscript> holds (a Choose button) is dropped here.
function parse(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  for (const n of doc.querySelectorAll("noscript")) n.remove();
  return doc;
}

// Live updates: the server says when what this page shows changed; the page
// then re-reads itself and swaps the regions marked data-live that differ,
// leaving alone a region the agent is typing in. Focus stays on the control
// it was on when the fresh region has it.
const live = document.body.dataset, shown = new Map();
for (const region of document.querySelectorAll("[data-live]")) shown.set(region.id, shownHTML(region));
if (live.liveSince && window.EventSource) {
  const params = new URLSearchParams({ since: live.liveSince });
  if (live.liveId) params.set("id", live.liveId);
  const events = new EventSource("/events?" + params);
  events.addEventListener("changed", async () => {
    const resp = await fetch(location.href, { credentials: "same-origin" });
    if (resp.ok && !leaving) swapLive(parse(await resp.text()));
  });
}

function swapLive(fresh) {
  for (const region of document.querySelectorAll("[data-live]")) {
    const next = fresh.getElementById(region.id);
    if (!next || shown.get(region.id) === shownHTML(next)) continue;
    const typing = region.contains(document.activeElement) && document.activeElement.matches("input, textarea");
    if (typing) continue;
    shown.set(region.id, shownHTML(next));
    const following = atEnd(region), scrolled = region.scrollTop;
    replaceKeepingFocus(region, next);
    next.scrollTop = following ? next.scrollHeight : scrolled;
    upgrade(next);
  }
  countdown();
}

// The transcript follows the conversation while the agent reads its end; one
// scrolled back to earlier messages stays where it is.
function atEnd(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
}
const transcript = document.getElementById("transcript");
if (transcript) transcript.scrollTop = transcript.scrollHeight;

// An element marked data-countdown shows the seconds left until its time
// (an offer's timeout, a wrap-up's default reason); the server's clock time
// beside it stays the reference without script.
function countdown() {
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const left = Math.max(0, Math.round((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
    el.textContent = "(" + left + " s)";
  }
}
setInterval(countdown, 1000);
countdown();
upgrade(document);
for (const box of document.querySelectorAll("textarea[data-segments]")) countSegments(box);
