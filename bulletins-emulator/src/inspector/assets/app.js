// The inspector's only script: follows /_emulator/events to refresh the timeline, copies to
// the clipboard, and handles keys. Rows come from the server already escaped; this file never
// builds HTML from a recorded value.
"use strict";

(() => {
  const live = document.getElementById("live");
  const rows = document.getElementById("rows");

  const setLive = (state, text) => {
    if (!live) return;
    live.dataset.state = state;
    live.textContent = text;
  };

  // One refresh in flight at a time; notices arriving meanwhile ask for one more.
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (!rows || rows.dataset.live !== "1") return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      const answer = await fetch(rows.dataset.source, { headers: { Accept: "text/html" } });
      if (answer.ok) {
        const selected = rows.querySelector("tr.selected")?.dataset.id;
        rows.innerHTML = await answer.text();
        if (selected) rows.querySelector(`tr[data-id="${CSS.escape(selected)}"]`)?.classList.add("selected");
      }
    } catch (_) {
      setLive("down", "disconnected");
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };

  if (window.EventSource) {
    const source = new EventSource("/_emulator/events");
    source.addEventListener("open", () => setLive("up", "live"));
    source.addEventListener("ready", () => setLive("up", "live"));
    // EventSource reconnects by itself; say so meanwhile.
    source.addEventListener("error", () => setLive("down", "reconnecting…"));
    for (const type of ["entry", "updated", "deleted", "cleared", "lagged"]) {
      source.addEventListener(type, refresh);
    }
  } else {
    setLive("down", "no live updates");
  }

  // Copy buttons: data-copy names the hidden <pre> holding the text.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const text = document.getElementById(button.dataset.copy)?.textContent ?? "";
    const status = document.getElementById("copied");
    try {
      await navigator.clipboard.writeText(text);
      if (status) status.textContent = "Copied.";
    } catch (_) {
      if (status) status.textContent = "Copy refused by the browser; the text is below.";
      document.getElementById(button.dataset.copy)?.removeAttribute("hidden");
    }
  });

  // Keys: j/k move, Enter opens, Esc goes back, / searches.
  const entries = () => Array.from(document.querySelectorAll("#rows tr.entry"));
  const move = (step) => {
    const list = entries();
    if (list.length === 0) return;
    const at = list.findIndex((row) => row.classList.contains("selected"));
    const next = list[Math.min(list.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
    list.forEach((row) => row.classList.remove("selected"));
    next.classList.add("selected");
    next.scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, select, textarea");
    if (event.key === "Escape") {
      if (typing) { event.target.blur(); return; }
      const back = document.getElementById("back");
      if (back) window.location.href = back.href;
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "Enter") {
      const row = document.querySelector("#rows tr.entry.selected");
      if (row) window.location.href = row.dataset.href;
    } else if (event.key === "/") {
      const search = document.getElementById("search");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  // A click anywhere on a row opens it.
  rows?.addEventListener("click", (event) => {
    const row = event.target.closest("tr.entry");
    if (row && !event.target.closest("a")) window.location.href = row.dataset.href;
  });
})();
