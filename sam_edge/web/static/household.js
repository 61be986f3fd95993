// The household's devices on the page (from /v1/household, read every 15 s); hidden on a
// device that is not in a household.
"use strict";
(() => {
  const section = document.getElementById("household");
  const list = document.getElementById("household-devices");
  const note = document.getElementById("household-note");
  const ago = (s) => s < 5 ? "just now" : s < 60 ? s + " s ago" : Math.round(s / 60) + " min ago";

  function show(body) {
    if (!body.household) { section.hidden = true; return false; }
    section.hidden = false;
    document.getElementById("household-name").textContent = body.household;
    list.replaceChildren(...body.devices.map((d) => {
      const li = document.createElement("li");
      li.className = "household-device";
      const name = document.createElement("strong");
      name.textContent = d.name + (d.this ? " (this device)" : "");
      const seen = document.createElement("span");
      seen.className = "soft";
      seen.textContent = " · seen " + ago(d.seen_s);
      const playing = document.createElement("div");
      playing.textContent = d.playing ? "Playing " + d.playing : "Nothing playing";
      li.append(name, seen, playing);
      return li;
    }));
    note.textContent = body.message || (body.devices.length ? "" : "No device has been seen in the last minute.");
    return true;
  }

  async function read() {
    try {
      const r = await fetch("/v1/household");
      if (r.ok && !show(await r.json())) return;  // not in a household: nothing to follow
    } catch (e) { /* the service is away: the page says so elsewhere */ }
    setTimeout(read, 15000);
  }
  read();
})();
