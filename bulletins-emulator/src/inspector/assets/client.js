// The timeline's "Client" panel: polls /_emulator/traffic once a second (while the page is
// visible) and draws the last minute as two bar charts in SVG — requests in flight with the
// concurrency cap, and answers per second with the refusals over the cap. Only numbers are
// written into the page, never markup.
"use strict";

(() => {
  const panel = document.getElementById("client");
  if (!panel) return;
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 300;
  const HEIGHT = 80;
  const format = (n) => Number(n).toLocaleString("en-US");

  const node = (name, attributes) => {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  };

  const text = (id, value) => {
    const element = document.getElementById(id);
    if (element) element.textContent = value;
  };

  // Bars, one per second; `parts(second)` gives [value, class] pairs stacked from the bottom.
  const bars = (svg, seconds, top, parts) => {
    const slot = WIDTH / seconds.length;
    const scale = (HEIGHT - 4) / top;
    seconds.forEach((second, i) => {
      let base = HEIGHT;
      for (const [value, kind] of parts(second)) {
        if (value <= 0) continue;
        const height = value * scale;
        base -= height;
        svg.append(node("rect", {
          class: kind, x: (i * slot + 0.5).toFixed(2), y: base.toFixed(2),
          width: Math.max(slot - 1, 0.5).toFixed(2), height: height.toFixed(2),
          "data-value": value,
        }));
      }
    });
  };

  const drawInFlight = (svg, traffic) => {
    svg.replaceChildren();
    const peaks = traffic.seconds.map((s) => s.peak_in_flight);
    const top = Math.max(traffic.limit, ...peaks, 1) * 1.15;
    bars(svg, traffic.seconds, top, (s) => [
      [s.peak_in_flight, traffic.limit > 0 && s.peak_in_flight >= traffic.limit ? "at-cap" : "in-flight"],
    ]);
    if (traffic.limit > 0) {
      const y = (HEIGHT - traffic.limit * ((HEIGHT - 4) / top)).toFixed(2);
      svg.append(node("line", { class: "cap", x1: 0, x2: WIDTH, y1: y, y2: y }));
    }
  };

  const drawAnswers = (svg, traffic) => {
    svg.replaceChildren();
    const top = Math.max(...traffic.seconds.map((s) => s.answered), 1) * 1.15;
    bars(svg, traffic.seconds, top, (s) => [
      [s.answered - s.over_limit, "answered"],
      [s.over_limit, "over-limit"],
    ]);
  };

  const show = (traffic) => {
    const seconds = traffic.seconds;
    // The last complete second: the current one is still counting.
    const rate = seconds.length > 1 ? seconds[seconds.length - 2].answered : 0;
    const overLimit = seconds.reduce((sum, s) => sum + s.over_limit, 0);
    text("in-flight", format(traffic.in_flight));
    text("cap", traffic.limit > 0 ? `(cap ${format(traffic.limit)} per account)` : "(no cap)");
    text("answer-rate", format(rate));
    text("over-limit", format(overLimit));
    const inFlight = document.getElementById("in-flight-chart");
    const answers = document.getElementById("answers-chart");
    if (inFlight) drawInFlight(inFlight, traffic);
    if (answers) drawAnswers(answers, traffic);
    panel.dataset.updated = String(Number(panel.dataset.updated || 0) + 1);
  };

  let busy = false;
  const poll = async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const answer = await fetch("/_emulator/traffic", { cache: "no-store" });
      if (answer.ok) show(await answer.json());
    } catch (_) {
      // The emulator stopped; the live badge says so. Keep the last picture.
    } finally {
      busy = false;
    }
  };
  poll();
  setInterval(poll, 1000);
})();
