// spbpe playground: the page's only script.  It asks the server for the
// tokenizers, posts the text (debounced) to /api/encode, and draws one column
// per tokenizer.  Every piece of text from the user or the server goes into
// the page through textContent, never innerHTML, so nothing typed can become
// markup.  The URL fragment keeps the text, the chosen tokenizers and the
// diff mode, so a view can be shared.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const textEl = $("text"), listEl = $("tokenizers"), colsEl = $("columns");
  const statusEl = $("status"), diffEl = $("diff"), idsEl = $("show-ids"), fileEl = $("file"), tip = $("tip");
  const COLOURS = 6, DEBOUNCE_MS = 150, FRAGMENT_MAX = 8000;
  const SYMBOLS = { " ": "·", "\t": "→", "\n": "↵", "\r": "␍", "\u3000": "□" };
  const SAMPLE = "Tokenizers split text into pieces: 日本語, emoji 😀, code `x += 1;`\nand    runs of spaces.";
  let known = [], maxBody = 1 << 20, seq = 0, timer = 0, results = null, renderedText = null, writtenHash = "";
  // What the page shows now (read by the tests, harmless otherwise).
  window.playground = { get text() { return renderedText; }, get results() { return results; } };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function status(message, error) {
    statusEl.textContent = message;
    statusEl.classList.toggle("error", !!error);
  }

  // A segment's text as shown: whitespace-only runs as symbols; newlines and tabs as symbols anywhere.
  function visible(s) {
    if (s && /^[\s\u3000]+$/.test(s)) return Array.from(s, (c) => SYMBOLS[c] || "·").join("");
    return s.replace(/\r/g, "␍").replace(/\n/g, "↵").replace(/\t/g, "→");
  }

  function selected() {
    return Array.from(listEl.querySelectorAll("input:checked"), (c) => c.value);
  }

  // ------------------------------------------------------------ fragment
  function saveFragment() {
    const p = new URLSearchParams();
    p.set("t", selected().join(","));
    if (diffEl.checked) p.set("diff", "1");
    if (encodeURIComponent(textEl.value).length <= FRAGMENT_MAX) p.set("text", textEl.value);
    writtenHash = "#" + p.toString();
    if (location.hash !== writtenHash) history.replaceState(null, "", writtenHash);
  }

  function applyFragment() {
    const p = new URLSearchParams(location.hash.slice(1));
    const want = p.has("t") ? p.get("t").split(",") : known.map((t) => t.id);
    for (const box of listEl.querySelectorAll("input")) box.checked = want.includes(box.value);
    if (p.has("text")) textEl.value = p.get("text");
    diffEl.checked = p.get("diff") === "1";
  }

  // ------------------------------------------------------------ requests
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(update, delay === undefined ? DEBOUNCE_MS : delay);
  }

  async function update() {
    const text = textEl.value, ids = selected(), my = ++seq;
    saveFragment();
    if (!ids.length) {
      results = [];
      renderedText = text;
      render();
      status("Choose at least one tokenizer.");
      return;
    }
    const body = JSON.stringify({ text, tokenizers: ids });
    const size = new TextEncoder().encode(body).length;
    if (size > maxBody) {
      status(`The text is too long for this server (${size.toLocaleString()} bytes; limit ${maxBody.toLocaleString()}).`, true);
      return;
    }
    let res, data;
    try {
      res = await fetch("api/encode", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      data = await res.json();
    } catch (e) {
      if (my === seq) status("The server did not answer: " + e.message, true);
      return;
    }
    if (my !== seq) return; // a newer request is on its way
    if (!res.ok) {
      status(data && data.error ? data.error : res.statusText, true);
      return;
    }
    results = data.results;
    renderedText = text;
    render();
    status("");
  }

  // ------------------------------------------------------------- drawing
  function render() {
    hideTip();
    colsEl.replaceChildren();
    colsEl.classList.toggle("hide-ids", !idsEl.checked);
    const diff = diffEl.checked && results.length > 1;
    const cuts = results.map((r) => new Set(r.segments.map((s) => s.end)));
    results.forEach((r, i) => {
      const otherIndex = i === 0 ? 1 : 0;
      const other = diff ? cuts[otherIndex] : null;
      const sec = el("section", "column");
      sec.dataset.id = r.id;
      sec.append(el("h2", "", r.name));
      const stats = el("p", "stats");
      stats.append(
        el("b", "count", String(r.count)),
        r.count === 1 ? " token · " : " tokens · ",
        el("span", "chars", String(r.chars)),
        r.chars === 1 ? " char · " : " chars · ",
        el("b", "cpt", r.chars_per_token.toFixed(2)),
        " chars/token",
      );
      const toks = el("div", "tokens");
      let differing = 0;
      r.segments.forEach((s, k) => {
        const span = el("span", "tok c" + (k % COLOURS));
        for (const kind of s.kinds) span.classList.add("k-" + kind);
        const shown = s.text ? visible(s.text) : s.tokens.map((t) => r.tokens[t].piece).join("");
        span.textContent = shown;
        span.dataset.column = String(i);
        span.dataset.segment = String(k);
        if (other && s.end < textLength(r) && !other.has(s.end)) {
          span.classList.add("diff");
          differing++;
        }
        // A real line break for each newline: before the box for the newlines that lead into its
        // text ("\nde" starts a line), after it for the others (".\n" ends one).
        const lead = /\S/.test(s.text) ? s.text.slice(0, s.text.search(/\S/)).split("\n").length - 1 : 0;
        const all = s.text.split("\n").length - 1;
        for (let n = 0; n < lead; n++) toks.append(el("br"));
        toks.append(span);
        for (let n = lead; n < all; n++) toks.append(el("br"));
      });
      if (diff) {
        const d = el("span", "diffstat", ` · ${differing} cut${differing === 1 ? "" : "s"} not in ${results[otherIndex].name}`);
        stats.append(d);
      }
      sec.append(stats, toks, el("div", "ids", r.ids.join(" ")));
      colsEl.append(sec);
    });
  }

  function textLength(r) {
    return r.segments.length ? r.segments[r.segments.length - 1].end : 0;
  }

  // ------------------------------------------------------------- tooltip
  function showTip(span) {
    const r = results[Number(span.dataset.column)];
    const seg = r && r.segments[Number(span.dataset.segment)];
    if (!seg) return;
    const table = el("table");
    for (const t of seg.tokens) {
      const tok = r.tokens[t];
      const row = el("tr");
      const bytes = (tok.bytes.match(/../g) || []).join(" ");
      row.append(
        el("td", "tid", "id " + tok.id),
        el("td", "piece", JSON.stringify(tok.piece)),
        el("td", "bytes", bytes ? "bytes " + bytes : "no bytes"),
        el("td", "kinds", tok.kinds.join(" ")),
      );
      table.append(row);
    }
    tip.replaceChildren(table);
    tip.hidden = false;
    const box = span.getBoundingClientRect();
    const left = Math.min(box.left, window.innerWidth - tip.offsetWidth - 8);
    const below = box.bottom + 6 + tip.offsetHeight < window.innerHeight;
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = (below ? box.bottom + 6 : Math.max(4, box.top - tip.offsetHeight - 6)) + "px";
  }

  function hideTip() {
    tip.hidden = true;
  }

  colsEl.addEventListener("mouseover", (e) => {
    const span = e.target.closest(".tok");
    if (span) showTip(span);
  });
  colsEl.addEventListener("mouseout", (e) => {
    if (e.target.closest(".tok") && !(e.relatedTarget && e.relatedTarget.closest && e.relatedTarget.closest(".tok"))) hideTip();
  });

  // ---------------------------------------------------------- file input
  function loadFile(file) {
    if (!file) return;
    if (file.size > maxBody) {
      status(`${file.name} is too large (${file.size.toLocaleString()} bytes; limit ${maxBody.toLocaleString()}).`, true);
      return;
    }
    file.text().then(
      (t) => {
        textEl.value = t;
        schedule(0);
      },
      (e) => status(`Cannot read ${file.name}: ${e.message}`, true),
    );
  }

  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    textEl.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => textEl.classList.remove("dragging"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    textEl.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length) loadFile(e.dataTransfer.files[0]);
  });
  fileEl.addEventListener("change", () => loadFile(fileEl.files[0]));

  // --------------------------------------------------------------- start
  textEl.addEventListener("input", () => schedule());
  diffEl.addEventListener("change", () => {
    saveFragment();
    if (results) render();
  });
  idsEl.addEventListener("change", () => colsEl.classList.toggle("hide-ids", !idsEl.checked));
  window.addEventListener("hashchange", () => {
    if (location.hash === writtenHash) return;
    applyFragment();
    schedule(0);
  });

  async function init() {
    let data;
    try {
      const res = await fetch("api/tokenizers");
      data = await res.json();
      if (!res.ok) throw new Error(data.error || res.statusText);
    } catch (e) {
      status("Cannot list the tokenizers: " + e.message, true);
      return;
    }
    known = data.tokenizers;
    maxBody = data.max_body;
    for (const t of known) {
      const label = el("label");
      const box = el("input");
      box.type = "checkbox";
      box.value = t.id;
      box.addEventListener("change", () => schedule(0));
      label.append(box, " " + t.name + " ", el("span", "family", `${t.family}, ${t.vocab_size.toLocaleString()} tokens`));
      listEl.append(label);
    }
    textEl.value = SAMPLE;
    applyFragment();
    update();
  }

  init();
})();
