// The setup page: read /v1/setup (every 2 s while a sync runs), the checks once.
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; };
const when = (ts) => ts ? new Date(ts * 1000).toLocaleString() : "–";
let timer = null;

function link(text, href) { const a = el("a", text); a.href = href; return a; }
function fact(list, term, ...desc) {
  list.append(el("dt", term));
  const dd = el("dd"); dd.append(...desc.filter(Boolean)); list.append(dd);
}
function render(s) {
  $("offline").hidden = true;
  $("mode").textContent = "Mode: " + s.mode + " · version " + s.version +
    (s.mode === "simulated" ? " · " + s.simulated.length + " parts simulated" : "");
  $("first-run").hidden = !s.checklist.length;
  $("checklist").replaceChildren(...s.checklist.map((item) => {
    const li = el("li", (item.done ? "✓ Done: " : "☐ To do: "), item.done ? "v-ok" : "");
    li.append(link(item.text, item.link)); return li;
  }));
  $("accounts").replaceChildren();
  for (const a of s.accounts) {
    if (a.connected) fact($("accounts"), a.title, el("span", "Connected as " + a.as, "v-ok"));
    else fact($("accounts"), a.title, document.createTextNode(a.todo + " "), link(a.configured ? "Connect" : "How", a.link));
  }
  $("library").replaceChildren();
  for (const l of s.library) {
    const last = l.last ? l.last.status + " " + when(l.last.finished_at || l.last.started_at) +
      (l.last.error ? ": " + l.last.error : "") : "never synced";
    fact($("library"), l.title, document.createTextNode(l.liked + " liked, " + l.playlists +
      " playlists, " + l.items + " playlist items · last run: " + last));
  }
  if (!s.library.length) fact($("library"), "Library", document.createTextNode("No music account is set up."));
  const p = s.sync.progress || {};
  $("sync-state").textContent = s.sync.running
    ? "Syncing now" + (p.platform ? ": " + p.platform + " " + p.phase + " " + p.done + (p.total != null ? " of " + p.total : "") : "…")
    : s.sync.result.join("; ");
  $("sync-now").disabled = s.sync.running;
  $("music-state").textContent = s.music.exists
    ? s.music.path + ": " + s.music.tracks + " tracks" : s.music.message;
  $("key-list").replaceChildren(...s.keys.map((k) =>
    el("li", k.name + ": " + (k.set ? "configured" : "not set (needed for " + k.for + ")"), k.set ? "v-ok" : "")));
  clearTimeout(timer);
  if (s.sync.running) timer = setTimeout(load, 2000);
}
async function load() {
  try {
    const r = await fetch("/v1/setup");
    if (!r.ok) throw new Error(String(r.status));
    render(await r.json());
  } catch (e) {
    $("offline").hidden = false;
    timer = setTimeout(load, 3000);
  }
}
async function checks() {
  try {
    const body = await (await fetch("/v1/setup/checks")).json();
    const verdict = {ok: "ok", "--": "info", warn: "warning", FAIL: "problem"};
    $("check-list").replaceChildren(...body.checks.map((c) => {
      const li = el("li");
      li.append(el("span", verdict[c.verdict] || c.verdict, "v-" + (c.verdict === "--" ? "info" : c.verdict)),
                document.createTextNode(" " + c.name + ": " + c.detail + (c.fix && c.verdict !== "ok" ? " (fix: " + c.fix + ")" : "")));
      return li;
    }));
    const bad = body.checks.filter((c) => c.verdict === "FAIL").length;
    $("checks-state").textContent = bad ? bad + " problem(s) found." : "No problems found.";
  } catch (e) { $("checks-state").textContent = "The checks could not run: the service is not answering."; }
}
$("sync-now").addEventListener("click", async () => {
  const r = await fetch("/v1/setup/sync", {method: "POST"});
  const body = await r.json();
  // Refused: nothing changed, and reloading now would blank the reason before it is read.
  if (!r.ok) { $("sync-state").textContent = body.message; return; }
  load();
});
load(); checks();
