// OLF dashboard: follows /api/stream (Server-Sent Events) and draws its charts
// as SVG. No libraries, no build step: this file is served as it is.
//
// The stream's first event is a snapshot; each delta then replaces the parts
// it names (see app/queries/live_stats.py). The browser reconnects by itself, sending
// Last-Event-ID, and the server answers a reconnect with a fresh snapshot.
"use strict";

(function () {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const METRICS = ["signups", "updates", "deletions"];
  const DIMENSIONS = ["country", "segment", "status"];
  const MINUTES = 60;
  const MINUTE_MS = 60 * 1000;
  const MAX_BARS = 12;
  // Rows of the orders table; the busiest countries and currencies.
  const MAX_ORDER_ROWS = 12;
  const RECONNECT_MS = 3000;
  const LABELS = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    offline: "Offline, retrying",
  };
  const numbers = new Intl.NumberFormat("en-US");

  let snapshot = null;

  function byTestId(id) {
    return document.querySelector(`[data-testid="${id}"]`);
  }

  function svgElement(name, attributes, text) {
    const element = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes || {})) {
      element.setAttribute(key, String(value));
    }
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // --- the stream -----------------------------------------------------------

  function applyDelta(current, delta) {
    for (const [section, parts] of Object.entries(delta)) {
      current[section] = Object.assign(current[section] || {}, parts);
    }
  }

  function setConnection(state) {
    const indicator = byTestId("connection");
    indicator.dataset.state = state;
    indicator.querySelector(".connection-label").textContent = LABELS[state];
  }

  function connect() {
    setConnection("connecting");
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => setConnection("live"));
    source.addEventListener("snapshot", (event) => {
      snapshot = JSON.parse(event.data);
      setConnection("live");
      render();
    });
    source.addEventListener("delta", (event) => {
      if (snapshot === null) return; // cannot happen: a snapshot always comes first
      applyDelta(snapshot, JSON.parse(event.data));
      render();
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server refused (e.g. 503 while stopping): the browser gives up, we do not.
        setConnection("offline");
        source.close();
        window.setTimeout(connect, RECONNECT_MS);
      } else {
        setConnection("reconnecting");
      }
    });
  }

  // --- rendering ------------------------------------------------------------

  function render() {
    if (snapshot === null) return;
    const { summary, counts, timeseries, as_of: asOf } = snapshot;
    setNumber("total-customers", summary.customers.total);
    setNumber("events-applied", summary.events.applied);
    setNumber("events-duplicates", summary.events.duplicates);
    setNumber("events-rejected", summary.events.rejected);
    renderAsOf(asOf);
    drawTimeseries(document.getElementById("timeseries"), timeseries, asOf.newest_event_time);
    for (const dimension of DIMENSIONS) {
      drawBars(document.getElementById(`counts-${dimension}`), counts[dimension]);
    }
    drawOrders(document.getElementById("orders-country"), snapshot.orders.country);
  }

  // One row per country and currency, most orders first. Revenue is shown as
  // the API's exact decimal string: never parsed into a float.
  function drawOrders(container, orders) {
    const rows = [];
    for (const [bucket, currencies] of Object.entries(orders || {})) {
      for (const [currency, figures] of Object.entries(currencies)) {
        rows.push({ bucket, currency, ...figures });
      }
    }
    if (rows.length === 0) {
      emptyNote(container, "No orders yet");
      return;
    }
    rows.sort((a, b) => b.placed - a.placed || a.bucket.localeCompare(b.bucket) || a.currency.localeCompare(b.currency));
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const title of ["Country", "Currency", "Orders", "Revenue"]) {
      const cell = document.createElement("th");
      cell.textContent = title;
      head.append(cell);
    }
    const body = table.createTBody();
    for (const row of rows.slice(0, MAX_ORDER_ROWS)) {
      const line = body.insertRow();
      line.dataset.bucket = row.bucket;
      line.dataset.currency = row.currency;
      line.dataset.placed = String(row.placed);
      line.dataset.revenue = row.revenue;
      for (const text of [row.bucket, row.currency, numbers.format(row.placed), row.revenue]) {
        line.insertCell().textContent = text;
      }
    }
    table.dataset.rows = String(rows.length);
    container.replaceChildren(table);
  }

  function setNumber(testId, value) {
    const element = byTestId(testId);
    element.textContent = numbers.format(value);
    element.dataset.value = String(value);
    element.parentElement.toggleAttribute("data-nonzero", value > 0);
  }

  function utcTime(epochMs, withSeconds) {
    const iso = new Date(epochMs).toISOString();
    return withSeconds ? iso.slice(11, 19) : iso.slice(11, 16);
  }

  function renderAsOf(asOf) {
    const element = byTestId("as-of");
    const parts = [];
    if (asOf.newest_event_time) {
      const newest = Date.parse(asOf.newest_event_time);
      parts.push(`newest event ${asOf.newest_event_time.slice(0, 10)} ${utcTime(newest, true)} UTC`);
    } else {
      parts.push("no events yet");
    }
    parts.push(`lag ${numbers.format(asOf.lag)}`);
    parts.push(`${asOf.partitions_covered}/${asOf.partitions_total} partitions`);
    element.textContent = parts.join(" · ");
    element.classList.toggle("partial", !asOf.complete);
    element.title = asOf.complete ? "" : "Some partitions are not covered right now (rebalancing)";
  }

  // Axis maximum and tick step: 1, 2 or 5 times a power of ten, at least 1.
  function niceScale(maximum) {
    const rough = Math.max(maximum, 1) / 4;
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough));
    return { step, top: Math.max(step, Math.ceil(Math.max(maximum, 1) / step) * step) };
  }

  function emptyNote(container, text) {
    const note = document.createElement("div");
    note.className = "empty";
    note.textContent = text;
    container.replaceChildren(note);
  }

  function drawTimeseries(container, timeseries, newestEventTime) {
    if (!newestEventTime) {
      emptyNote(container, "No events yet");
      return;
    }
    const width = Math.max(container.clientWidth, 260);
    const height = width < 560 ? 190 : 250;
    const margin = { top: 10, right: 12, bottom: 24, left: 40 };
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const end = Math.floor(Date.parse(newestEventTime) / MINUTE_MS) * MINUTE_MS;
    const start = end - (MINUTES - 1) * MINUTE_MS;

    // Points are non-empty minutes only: fill the others with zeros.
    const values = {};
    let maximum = 0;
    for (const metric of METRICS) {
      values[metric] = new Array(MINUTES).fill(0);
      for (const point of timeseries[metric] || []) {
        const index = Math.round((Date.parse(point.start) - start) / MINUTE_MS);
        if (index >= 0 && index < MINUTES) values[metric][index] = point.count;
      }
      maximum = Math.max(maximum, ...values[metric]);
    }
    const { step, top } = niceScale(maximum);
    const x = (index) => margin.left + (index * plotWidth) / (MINUTES - 1);
    const y = (value) => margin.top + plotHeight - (value * plotHeight) / top;

    const svg = svgElement("svg", {
      viewBox: `0 0 ${width} ${height}`,
      height,
      role: "img",
      "aria-label": "Signups, updates and deletions per minute over the last hour",
    });
    for (let tick = 0; tick <= top; tick += step) {
      svg.append(svgElement("line", { class: "grid", x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }));
      svg.append(svgElement("text", { x: margin.left - 6, y: y(tick) + 4, "text-anchor": "end" }, numbers.format(tick)));
    }
    const every = plotWidth < 420 ? 30 : 15;
    for (let minute = 0; minute < MINUTES; minute += every) {
      svg.append(svgElement("text", { x: x(minute), y: height - 6, "text-anchor": "middle" }, utcTime(start + minute * MINUTE_MS)));
    }
    svg.append(svgElement("text", { x: x(MINUTES - 1), y: height - 6, "text-anchor": "end" }, utcTime(end)));

    const totals = {};
    for (const metric of METRICS) {
      const path = values[metric].map((value, index) => `${index ? "L" : "M"}${x(index).toFixed(1)},${y(value).toFixed(1)}`);
      svg.append(svgElement("path", { class: `series ${metric}`, d: path.join(" "), "data-metric": metric }));
      totals[metric] = values[metric].reduce((sum, value) => sum + value, 0);
    }
    // For tests and the curious: what the lines add up to.
    svg.dataset.totals = JSON.stringify(totals);
    container.replaceChildren(svg);
  }

  function drawBars(container, counts) {
    let entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (entries.length === 0) {
      emptyNote(container, "No customers yet");
      return;
    }
    if (entries.length > MAX_BARS) {
      const rest = entries.slice(MAX_BARS - 1).reduce((sum, entry) => sum + entry[1], 0);
      entries = entries.slice(0, MAX_BARS - 1).concat([["other", rest]]);
    }
    const width = Math.max(container.clientWidth, 220);
    const rowHeight = 26;
    const labelWidth = 84;
    const valueWidth = 56;
    const height = entries.length * rowHeight;
    const maximum = Math.max(...entries.map((entry) => entry[1]));
    const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, height, role: "img" });
    entries.forEach(([label, value], row) => {
      const top = row * rowHeight;
      const barWidth = Math.max(2, ((width - labelWidth - valueWidth) * value) / maximum);
      svg.append(svgElement("text", { class: "bar-label", x: labelWidth - 10, y: top + 17, "text-anchor": "end" }, label));
      svg.append(svgElement("rect", { class: "bar", x: labelWidth, y: top + 4, width: barWidth, height: rowHeight - 8, rx: 3, "data-label": label, "data-value": value }));
      svg.append(svgElement("text", { class: "bar-value", x: labelWidth + barWidth + 6, y: top + 17 }, numbers.format(value)));
    });
    svg.setAttribute("aria-label", entries.map(([label, value]) => `${label} ${value}`).join(", "));
    container.replaceChildren(svg);
  }

  let resizeFrame = 0;
  window.addEventListener("resize", () => {
    window.cancelAnimationFrame(resizeFrame);
    resizeFrame = window.requestAnimationFrame(render);
  });

  connect();
})();
