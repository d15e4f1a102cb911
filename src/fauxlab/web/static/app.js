// fauxlab's page: three tabs over the HTTP API. No framework, no build, nothing loaded
// from elsewhere. Text from the server is always inserted as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function facts(pairs) {
  const list = el("dl");
  for (const [term, value] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", {}, term), el("dd", {}, value));
  }
  return list;
}

function setStatus(which, text, isError = false) {
  const node = $(`status-${which}`);
  node.textContent = text;
  node.classList.toggle("error", isError);
}

async function problemText(response) {
  try {
    const body = await response.json();
    return body.detail || body.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

// ---- tabs: arrow keys move between them, as the ARIA tabs pattern says ----
function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const show = (tab, focus) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    if (tab.id === "tab-ledger") loadHead();
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => show(tab, false));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) show(tabs[(index + step + tabs.length) % tabs.length], true);
      if (event.key === "Home") show(tabs[0], true);
      if (event.key === "End") show(tabs[tabs.length - 1], true);
    });
  });
}

function setupDrop(which, onFile) {
  const zone = $(`drop-${which}`);
  const input = $(`file-${which}`);
  input.addEventListener("change", () => input.files.length && onFile(input.files[0]));
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) onFile(event.dataTransfer.files[0]);
  });
}

// ---- Analyse ----
const VERDICT_TEXT = {
  fake: "Fake", real: "No sign of manipulation", uncertain: "Uncertain", "no face": "No face found",
};

async function analyse(file) {
  const result = $("result-analyse");
  const bar = $("progress-analyse");
  result.hidden = true;
  result.replaceChildren();
  setStatus("analyse", `Uploading ${file.name}…`);
  bar.hidden = false;
  bar.value = 0;
  const form = new FormData();
  form.append("file", file, file.name);
  let response;
  try {
    response = await fetch("/api/analyses", { method: "POST", body: form });
  } catch (error) {
    bar.hidden = true;
    setStatus("analyse", `The upload failed: ${error.message}`, true);
    return;
  }
  if (response.status !== 202) {
    bar.hidden = true;
    const wait = response.headers.get("Retry-After");
    const text = await problemText(response);
    setStatus("analyse", wait ? `${text} (retry in ${wait} s)` : text, true);
    return;
  }
  const created = await response.json();
  await poll(created.url, file);
}

async function poll(url, file) {
  const name = file.name;
  const bar = $("progress-analyse");
  for (;;) {
    const response = await fetch(url);
    if (!response.ok) {
      bar.hidden = true;
      setStatus("analyse", await problemText(response), true);
      return;
    }
    const analysis = await response.json();
    bar.value = analysis.progress;
    if (analysis.status === "done") {
      bar.hidden = true;
      setStatus("analyse", `${name}: done.`);
      showAnalysis(analysis, file);
      return;
    }
    if (analysis.status === "failed") {
      bar.hidden = true;
      setStatus("analyse", `${name}: ${analysis.error}`, true);
      return;
    }
    const stage = analysis.status === "queued" ? "waiting in the queue" : analysis.stage;
    setStatus("analyse", `${name}: ${stage}…`);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function percent(p) {
  return p === null || p === undefined ? "–" : `${Math.round(p * 100)}%`;
}

function evidenceCard(analysisId, item) {
  const applicable = item.probability !== null;
  const card = el("article", { class: "card evidence", "data-detector": item.detector },
    el("h3", {}, item.detector),
    applicable
      ? el("p", {}, el("strong", {}, `P(fake) ${percent(item.probability)}`),
        item.weight !== 1 ? ` (weight ${item.weight})` : "")
      : el("p", { class: "na" }, "Not applicable to this file"),
    el("p", {}, item.summary));
  if (item.contribution !== undefined && item.contribution !== null) {
    const sign = item.contribution >= 0 ? "+" : "";
    card.append(el("p", {}, `Moved the file's probability by ${sign}${item.contribution.toFixed(2)}`));
  }
  for (const figure of item.figures || []) {
    // Charts come as SVG (sharp at any zoom), pictures as PNG; older results name no format.
    const format = figure.format || "png";
    const src = `/api/analyses/${analysisId}/files/figures/${encodeURIComponent(item.detector)}/${encodeURIComponent(figure.name)}.${format}`;
    card.append(el("figure", { class: format === "svg" ? "chart" : "picture" },
      el("img", { src, alt: figure.caption, loading: "lazy" }),
      el("figcaption", {}, figure.caption)));
  }
  return card;
}

function provenancePanel(file) {
  const item = file.evidence.find((e) => e.detector === "provenance");
  if (!item) return null;
  const d = item.details || {};
  const panel = el("article", { class: "card provenance" }, el("h3", {}, "Provenance"), el("p", {}, item.summary));
  panel.append(facts([
    ["Sealed by fauxlab", d.sealed_by_fauxlab === undefined ? "" : (d.sealed_by_fauxlab ? "yes" : "no")],
    ["Watermark", d.watermark ? (d.watermark.found ? `found (payload ${d.watermark.payload})` : "not found") : ""],
    ["C2PA credentials", d.credentials ? (d.credentials.present ? (d.credentials.valid ? "present and valid" : "present but NOT valid") : "none") : ""],
    ["Ledger", d.ledger ? d.ledger.status : ""],
  ]));
  return panel;
}

// A sound is played from the browser's own copy: the server keeps no upload once judged.
let playing = null;

function player(upload) {
  if (playing) URL.revokeObjectURL(playing);
  playing = URL.createObjectURL(upload);
  return el("audio", { id: "player", controls: true, preload: "metadata", src: playing });
}

function stretch(start, end) {
  return `${start.toFixed(1)}–${end.toFixed(1)} s`;
}

function soundPanel(file, upload) {
  // The file itself, and the voice detector's suspicious stretches as buttons that play them.
  const audio = player(upload);
  const panel = el("figure", { class: "sound" }, audio,
    el("figcaption", {}, "The uploaded sound, played from your own copy."));
  const voice = file.evidence.find((e) => e.detector === "voice");
  const windows = ((voice && voice.details && voice.details.timeline) || [])
    .filter((w) => w.p >= file.threshold);
  if (windows.length) {
    const list = el("ul", { class: "stretches", id: "stretches" });
    for (const w of windows) {
      const button = el("button", { type: "button" }, `${stretch(w.start, w.end)}: P(fake) ${percent(w.p)}`);
      button.addEventListener("click", () => { audio.currentTime = w.start; audio.play(); });
      list.append(el("li", {}, button));
    }
    panel.append(el("p", {}, "Stretches the voice detector finds suspicious (press one to hear it):"), list);
  }
  return panel;
}

function showAnalysis(analysis, upload) {
  const result = $("result-analyse");
  const doc = analysis.result;
  const file = doc.files[0];
  const sound = file.kind === "audio";
  const verdictClass = file.verdict.replace(" ", "-");
  result.replaceChildren(
    el("div", { class: "verdict" },
      el("span", { class: `badge ${verdictClass}`, id: "verdict" }, VERDICT_TEXT[file.verdict] || file.verdict),
      el("span", { id: "probability" }, `P(fake) ${percent(file.probability)}`)),
    el("p", { id: "explanation" }, file.explanation),
    ...(file.edits && file.edits.summary
      ? [el("p", { id: "edits", class: "edits" },
          el("strong", {}, "Edits (not evidence of a fake): "), file.edits.summary)]
      : []),
    sound ? soundPanel(file, upload)
      : el("img", { class: "thumb", src: `/api/analyses/${analysis.id}/files/thumbnail.jpg`,
        alt: "The frame with the most suspicious face, boxes coloured by score" }),
    facts([
      ["File", analysis.filename], ["Kind", file.kind], ["Size", sound ? "" : `${file.width} × ${file.height}`],
      ["Duration", file.duration ? `${file.duration} s` : ""], ["Faces found", sound ? "" : String(file.face_count)],
      ["Analysed in", `${file.seconds} s`],
    ]),
    el("p", { class: "downloads" },
      el("a", { href: `/api/analyses/${analysis.id}/document.json`, download: `fauxlab-${analysis.id}.json` }, "Download JSON"),
      el("a", { href: `/api/analyses/${analysis.id}/report`, target: "_blank", rel: "noopener" }, "Open the HTML report")),
  );
  if (file.kind === "video") {
    // Drawn by the server, as in the HTML report: each detector over time, cuts marked.
    result.append(el("h3", {}, "Over time"),
      el("figure", { class: "chart" },
        el("img", { class: "timeline", src: `/api/analyses/${analysis.id}/files/timeline.svg`,
          alt: "Each detector's probability of fake over time, with the threshold and the cuts" }),
        el("figcaption", {}, "Each line is one detector's probability of fake over time; above the dashed threshold a moment looks fake. Dotted vertical lines are cuts (ordinary edits).")));
  }
  const provenance = provenancePanel(file);
  if (provenance) result.append(provenance);
  result.append(el("h3", {}, "Evidence"));
  // Detectors that could judge this file first; "not applicable" ones after them.
  const judged = (e) => (e.probability === null ? 1 : 0);
  const cards = file.evidence.filter((e) => e.detector !== "provenance");
  for (const item of [...cards].sort((a, b) => judged(a) - judged(b))) {
    result.append(evidenceCard(analysis.id, item));
  }
  result.hidden = false;
  result.focus();
}

// ---- Verify ----
async function verify(file) {
  const result = $("result-verify");
  result.hidden = true;
  setStatus("verify", `Reading the marks of ${file.name}…`);
  const form = new FormData();
  form.append("file", file, file.name);
  const response = await fetch("/api/verify", { method: "POST", body: form });
  if (!response.ok) { setStatus("verify", await problemText(response), true); return; }
  const report = await response.json();
  setStatus("verify", `${file.name}: read.`);
  const mark = report.watermark;
  const creds = report.credentials;
  const ledger = report.ledger;
  result.replaceChildren(
    el("p", { id: "verify-summary", class: report.sealed_by_fauxlab ? "bad" : "" },
      report.sealed_by_fauxlab ? "Made by fauxlab: this file carries fauxlab's AI-generated marks."
        : "No fauxlab marks found. (Other tools' fakes carry none; this does not mean the file is real.)"),
    report.tampered ? el("p", { class: "bad" }, "Tampered: the credentials or ledger proof no longer match this file.") : null,
    el("article", { class: "card" }, el("h3", {}, "Invisible watermark"),
      mark ? facts([["Found", mark.found ? "yes" : "no"], ["Payload", mark.found ? String(mark.payload) : ""],
        ["Confidence", mark.confidence], ["Score", `${mark.score} (threshold ${mark.threshold})`],
        ["Edits undone", (mark.edits_undone || []).join(", ")]])
        : el("p", { class: "na" }, "Not read")),
    el("article", { class: "card" }, el("h3", {}, "C2PA content credentials"),
      creds ? facts(Object.entries(creds).filter(([, v]) => typeof v !== "object").map(([k, v]) => [k, String(v)]))
        : el("p", { class: "na" }, "None")),
    el("article", { class: "card" }, el("h3", {}, "Transparency ledger"),
      facts([["Match", ledger.status], ["Entry", ledger.entry ? String(ledger.entry.index) : ""],
        ["PDQ distance", ledger.pdq_distance === null ? "" : String(ledger.pdq_distance)],
        ["PDQ variant", ledger.pdq_variant || ""],
        ["Inclusion proof", ledger.inclusion_proof_verified === null ? "" : (ledger.inclusion_proof_verified ? "verified" : "FAILED")]])),
    facts([["SHA-256", report.sha256]]),
    ...(report.problems || []).map((p) => el("p", { class: "bad" }, p)),
  );
  result.hidden = false;
  result.focus();
}

// ---- Ledger: RFC 6962 hashing and the RFC 9162 inclusion check, in the browser ----
const hexToBytes = (hex) => new Uint8Array(hex.match(/../g).map((b) => parseInt(b, 16)));
const bytesToHex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function sha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) { joined.set(part, at); at += part.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}
const leafHash = (data) => sha256(new Uint8Array([0]), data);
const nodeHash = (left, right) => sha256(new Uint8Array([1]), left, right);

async function verifyInclusion(leaf, index, size, path, root) {
  if (index < 0 || index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesToHex(r) === bytesToHex(root);
}

function headMessage(head) {
  // The checkpoint text the head's signature covers (fauxlab.provenance.ledger.heads).
  const root = btoa(String.fromCharCode(...hexToBytes(head.root)));
  return new TextEncoder().encode(`${head.origin}\n${head.tree_size}\n${root}\ntimestamp ${head.timestamp}\n`);
}

async function checkSignature(head) {
  try {
    const key = await crypto.subtle.importKey("raw", hexToBytes(head.public_key), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, hexToBytes(head.signature), headMessage(head));
  } catch {
    return null;  // this browser has no Ed25519 in WebCrypto
  }
}

async function loadHead() {
  const box = $("head-ledger");
  const response = await fetch("/api/ledger/head");
  if (!response.ok) { box.textContent = await problemText(response); return null; }
  const head = await response.json();
  const signed = await checkSignature(head);
  box.replaceChildren(el("h3", {}, "Signed tree head"), facts([
    ["Entries", String(head.tree_size)], ["Root", el("span", { class: "hash" }, head.root)],
    ["Signed at", head.timestamp], ["Key id", el("span", { class: "hash" }, head.key_id)],
    ["Signature", signed === null ? "not checked: this browser lacks Ed25519"
      : el("span", { class: signed ? "ok" : "bad", id: "head-signature" }, signed ? "valid for the key the server sent (checked in your browser)" : "INVALID")],
    ["Key", el("span", { id: "head-trust" }, `${head.trust}. The signature shows who signed only if this key id matches the one the ledger's operator published.`)],
  ]));
  return head;
}

async function lookup(query) {
  const result = $("result-ledger");
  result.hidden = true;
  query = query.trim().toLowerCase();
  let index;
  if (/^[0-9]+$/.test(query)) {
    index = Number(query);
  } else if (/^[0-9a-f]{64}$/.test(query)) {
    const response = await fetch(`/api/ledger/search?sha256=${query}`);
    if (!response.ok) { setStatus("ledger", await problemText(response), true); return; }
    const found = await response.json();
    if (!found.entries.length) { setStatus("ledger", "No entry records a file with this SHA-256."); return; }
    index = found.entries[0];
  } else {
    setStatus("ledger", "Give an entry number or a SHA-256 (64 hexadecimal characters).", true);
    return;
  }
  const response = await fetch(`/api/ledger/entries/${index}`);
  if (!response.ok) { setStatus("ledger", await problemText(response), true); return; }
  const answer = await response.json();
  const proof = answer.proof;
  const leaf = await leafHash(new TextEncoder().encode(proof.entry_json));
  const included = bytesToHex(leaf) === proof.leaf_hash && await verifyInclusion(
    leaf, proof.index, proof.tree_size, proof.path.map(hexToBytes), hexToBytes(answer.head.root));
  setStatus("ledger", `Entry ${index}.`);
  const entry = answer.entry;
  result.replaceChildren(
    el("p", { id: "proof-result", class: included ? "ok" : "bad" }, included
      ? `Inclusion proof checked in your browser: entry ${index} is in the tree of ${proof.tree_size} entries.`
      : "The inclusion proof does NOT check out against the signed head."),
    facts(Object.entries(entry).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)])),
    el("details", {}, el("summary", {}, `Audit path (${proof.path.length} hashes)`),
      ...proof.path.map((h) => el("div", { class: "hash" }, h))),
  );
  result.hidden = false;
}

async function hashFile(file) {
  setStatus("ledger", `Computing the SHA-256 of ${file.name}…`);
  const digest = bytesToHex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
  $("query-ledger").value = digest;
  await lookup(digest);
}

document.addEventListener("DOMContentLoaded", () => {
  setupTabs();
  setupDrop("analyse", analyse);
  setupDrop("verify", verify);
  $("lookup-ledger").addEventListener("submit", (event) => { event.preventDefault(); lookup($("query-ledger").value); });
  $("file-ledger").addEventListener("change", (event) => event.target.files.length && hashFile(event.target.files[0]));
  showRetention();
});

async function showRetention() {
  // /api/health answers 503 with the same body when something is broken
  try {
    const days = (await (await fetch("/api/health")).json()).keep_days;
    if (days) $("retention").textContent = `for ${days} days, then deleted`;
  } catch { /* the sentence keeps its cautious default */ }
}
