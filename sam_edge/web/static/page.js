// The device's page: live from /v1/events (server-sent events), no polling.
"use strict";
const $ = (id) => document.getElementById(id);
const KEEP = 20;
const turns = [];            // newest first, as /v1/turns gives them
const started = new Map();   // turn_id -> what its turn_start said
const mine = new Set();      // turn ids started from this page
let np = null, npAt = 0, source = null, retry = null;

const fmt = (ms) => {
  if (ms == null || ms < 0) return "–";
  const s = Math.floor(ms / 1000);
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
};
const PLATFORMS = {spotify: "Spotify", soundcloud: "SoundCloud", local: "Music folder"};

async function api(path, options) {
  const r = await fetch(path, options);
  let body = {};
  try { body = await r.json(); } catch (e) { body = {message: "The device answered " + r.status + "."}; }
  return {ok: r.ok, status: r.status, body};
}
function post(path, data) {
  return api(path, {method: "POST", headers: {"content-type": "application/json"},
                    body: data === undefined ? undefined : JSON.stringify(data)});
}
function say(text) { $("answer").textContent = text; }

// ------------------------------------------------------------- now playing
function showNowPlaying(state) {
  np = state; npAt = performance.now();
  const on = state && state.active;
  $("np-title").textContent = on ? (state.title || "Unknown title") : "Nothing is playing";
  $("np-artist").textContent = on ? state.artist : (state && state.message) || "";
  const where = on ? [PLATFORMS[state.platform] || state.platform, state.device].filter(Boolean).join(" · ") : "";
  $("np-meta").textContent = on ? (state.is_playing ? "Playing" : "Paused") + (where ? " on " + where : "") : "";
  const img = $("np-art");
  if (on && state.image_url) {
    if (img.getAttribute("src") !== state.image_url) img.src = state.image_url;
    img.alt = "Cover of " + (state.title || "the song");
    img.hidden = false; $("np-noart").hidden = true;
  } else { img.hidden = true; img.removeAttribute("src"); $("np-noart").hidden = false; }
  const toggle = $("c-toggle");
  const playing = on && state.is_playing;
  toggle.textContent = playing ? "Pause" : "Play";
  toggle.setAttribute("aria-label", playing ? "Pause" : "Play");
  toggle.dataset.command = playing ? "pause" : "play";
  if (on && state.volume != null && document.activeElement !== $("c-volume")) {
    $("c-volume").value = state.volume; $("c-volume-out").textContent = state.volume + "%";
  }
  tick();
}
function tick() {
  const on = np && np.active;
  let pos = on ? np.position_ms : null;
  if (pos != null && np.is_playing) pos += performance.now() - npAt;
  const dur = on ? np.duration_ms : null;
  if (pos != null && dur) pos = Math.min(pos, dur);
  $("np-progress").value = pos != null && dur ? pos / dur : 0;
  $("np-pos").textContent = pos != null ? fmt(pos) : "0:00";
  $("np-dur").textContent = fmt(dur);
}
setInterval(tick, 1000);

async function control(command, data) {
  say("");
  const r = await post("/v1/controls/" + command, data);
  if (r.body.turn_id) mine.add(r.body.turn_id);
  if (!r.ok || r.body.status !== "ok") say(r.body.response_text || r.body.message);
}
$("c-previous").addEventListener("click", () => control("previous"));
$("c-next").addEventListener("click", () => control("next"));
$("c-like").addEventListener("click", () => control("like"));
$("c-toggle").addEventListener("click", (e) => control(e.currentTarget.dataset.command || "play"));
$("c-volume").addEventListener("input", (e) => { $("c-volume-out").textContent = e.target.value + "%"; });
$("c-volume").addEventListener("change", (e) => control("volume", {level: Number(e.target.value)}));

// ------------------------------------------------------------- state and asking
function showState(state, muted) {
  $("state").textContent = state;
  if (muted !== undefined) {
    $("mic-state").textContent = muted ? "(microphone muted)" : "";
    $("mute").setAttribute("aria-pressed", String(muted));
    $("mute").textContent = muted ? "Unmute microphone" : "Mute microphone";
  }
}
function clearAnswer() { say(""); }
function showResult(body) {
  const heard = body.transcript ? "Heard “" + body.transcript + "”. " : "";
  say(heard + (body.response_text || (body.error && body.error.message) || ""));
}
$("chat").addEventListener("submit", async (e) => {
  e.preventDefault();
  clearAnswer();
  if (!$("text").value.trim()) { say("Type a command first."); return; }
  const r = await post("/v1/chat/message", {text: $("text").value});
  if (r.ok) { showResult(r.body); $("text").value = ""; } else say(r.body.message);
});
$("upload").addEventListener("submit", async (e) => {
  e.preventDefault();
  clearAnswer();
  if (!$("file").files.length) { say("Choose a recording first."); return; }
  const form = new FormData(); form.append("file", $("file").files[0]);
  const hear = $("hear").checked;
  const r = await api("/v1/voice/process" + (hear ? "?reply_audio=true" : ""), {method: "POST", body: form});
  if (!r.ok) { say(r.body.message); return; }
  showResult(r.body);
  const audio = r.body.reply_audio;
  if (hear && audio && audio.base64) {
    const player = $("reply-audio");
    player.src = "data:" + audio.content_type + ";base64," + audio.base64;
    player.play().catch(() => say($("answer").textContent + " (the browser did not play the reply)"));
  }
});
$("talk").addEventListener("click", async () => {
  clearAnswer();
  const r = await post("/v1/listen");
  if (!r.ok) say(r.body.message);
});
$("mute").addEventListener("click", async () => {
  const muted = $("mute").getAttribute("aria-pressed") !== "true";
  const r = await post("/v1/microphone", {muted});
  if (r.ok) showState($("state").textContent, r.body.muted); else say(r.body.message);
});
try { $("hear").checked = localStorage.getItem("sam-hear") === "1"; } catch (e) { /* private mode */ }
$("hear").addEventListener("change", (e) => {
  try { localStorage.setItem("sam-hear", e.target.checked ? "1" : "0"); } catch (err) { /* private mode */ }
});

// ------------------------------------------------------------- history
function done(turn) {
  const p = turn.parameters || {};
  const bits = [p.query, p.artist && "by " + p.artist, p.level != null && p.level + "%",
                p.platform && "on " + (PLATFORMS[p.platform] || p.platform)].filter(Boolean);
  return (turn.action || "").toLowerCase().replace(/_/g, " ") + (bits.length ? ": " + bits.join(" ") : "");
}
function said(turn) {
  if (turn.transcript) return "“" + turn.transcript + "”";
  if (turn.text) return "“" + turn.text + "”";
  if (turn.button) return turn.button.startsWith("page ") ? turn.button.slice(5) + " (on the page)" : turn.button + " button";
  return turn.source === "voice" ? "(nothing heard)" : "";
}
function renderHistory() {
  const list = $("history");
  list.replaceChildren(...turns.map((turn) => {
    const li = document.createElement("li");
    const failed = turn.status !== "ok" && turn.status !== "no_speech";
    if (failed) li.className = "failed";
    const head = document.createElement("div"); head.className = "turn-head";
    const parts = [["source badge", turn.source || "?"], ["turn-said", said(turn)],
                   ["soft", done(turn)],
                   [failed ? "status" : "status status-ok", failed ? "failed: " + (turn.status || "error").replace(/_/g, " ") : turn.status],
                   ["soft", turn.timings_ms && turn.timings_ms.total != null ? Math.round(turn.timings_ms.total) + " ms" : ""]];
    for (const [cls, text] of parts) {
      if (!text) continue;
      const span = document.createElement("span"); span.className = cls; span.textContent = text; head.append(span);
    }
    const reply = document.createElement("p"); reply.className = "turn-reply";
    reply.textContent = turn.response_text || "";
    li.append(head, reply);
    return li;
  }));
  $("history-empty").hidden = turns.length > 0;
}
function addTurn(data) {
  const turn = {...(started.get(data.turn_id) || {}), ...data};
  started.delete(data.turn_id);
  const at = turns.findIndex((t) => t.turn_id === turn.turn_id);
  if (at >= 0) turns.splice(at, 1);
  turns.unshift(turn);
  turns.length = Math.min(turns.length, KEEP);
  renderHistory();
  if (turn.source !== "chat" && turn.source !== "upload" || !mine.has(turn.turn_id)) {
    if (turn.response_text) say(turn.response_text);
  }
}

// ------------------------------------------------------------- device buttons
const LABELS = {play_pause: "Play/Pause", next: "Next", previous: "Previous", talk: "Talk",
                volume_up: "Volume up", volume_down: "Volume down", like: "Like", mic_mute: "Mic mute"};
function showGpio(g) {
  $("device").hidden = false;
  $("gpio-mode").textContent = g.mode === "mock" ? "Virtual pins: " + g.reason : "The device's own buttons.";
  $("led-pattern").textContent = "Light: " + g.leds.pattern.replace(/_/g, " ");
  $("virtual").hidden = g.mode !== "mock";
  if (g.mode === "mock" && !$("buttons").childElementCount) {
    for (const name of g.buttons) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = LABELS[name] || name;
      b.addEventListener("click", async () => {
        clearAnswer();
        const r = await post("/v1/gpio/buttons/" + name + "/press?hold=" + $("hold").checked);
        if (!r.ok) { say(r.body.message); return; }
        showGpio(r.body);
        const p = r.body.last_press;
        if (p && p.status !== "ok") say(p.message);
      });
      $("buttons").append(b);
    }
  }
}

// ------------------------------------------------------------- the live stream
function setOnline(up) {
  $("offline").hidden = up;
  document.body.classList.toggle("down", !up);
  for (const el of document.querySelectorAll("main button, main input")) el.disabled = !up;
  if (!up) showState("offline");
}
async function catchUp() {
  const [state, playing, history, gpio] = await Promise.all([
    api("/v1/state"), api("/v1/now-playing"), api("/v1/turns"), api("/v1/gpio")]);
  if (state.ok) {
    showState(state.body.state, state.body.muted);
    $("talk-hint").textContent = state.body.mode === "simulated"
      ? "Simulated mode: Talk plays the demo request. See Setup for what to connect." : "";
  }
  if (playing.ok) showNowPlaying(playing.body);
  if (history.ok) {
    for (const turn of history.body.turns.slice().reverse()) {
      if (!turns.some((t) => t.turn_id === turn.turn_id)) turns.unshift(turn);
    }
    turns.length = Math.min(turns.length, KEEP);
    renderHistory();
  }
  if (gpio.ok) showGpio(gpio.body); else $("device").hidden = true;
}
function connect() {
  clearTimeout(retry);
  if (source) source.close();
  source = new EventSource("/v1/events");
  source.onopen = () => { setOnline(true); catchUp().catch(() => setOnline(false)); };
  source.onerror = (e) => {
    // A failed turn's own "error" event arrives here too: that one carries data.
    if (e instanceof MessageEvent) return;
    setOnline(false);
    // CLOSED means the browser gave up (a refused answer): start again ourselves.
    if (source.readyState === EventSource.CLOSED) retry = setTimeout(connect, 3000);
  };
  const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  on("state", (d) => showState(d.state, d.muted));
  on("now_playing", showNowPlaying);
  on("turn_start", (d) => {
    started.set(d.turn_id, d);
    if (started.size > 50) started.delete(started.keys().next().value);
  });
  on("turn_end", addTurn);
  on("state", () => { if (!$("device").hidden) api("/v1/gpio").then((r) => r.ok && showGpio(r.body)); });
}
connect();
