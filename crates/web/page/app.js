// The DLRN page: reads the user's files in the browser, calls the Rust code
// compiled to WebAssembly (dlrn_web.js, from crates/web) and shows the
// result. It makes no network request: the module and the model come from
// the scripts beside this file (dlrn_web_wasm.js, model.js) or from files
// the user picks.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { model: null, info: null, image: null, imageName: null, outline: null, vertices: [], closed: false };
let queue = Promise.resolve();

function setStatus(s, text) {
  const el = $("status");
  el.dataset.state = s;
  el.textContent = text;
}

// Runs `task` after the ones before it (file reads are asynchronous: a mask
// chosen right after its image waits for the image), showing any error.
function enqueue(task) {
  queue = queue.then(task).catch((e) => setStatus("error", e && e.message ? e.message : String(e)));
  return queue;
}

// Lets the browser paint the status before a long synchronous computation.
function paint() {
  return new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
}

function fromBase64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function fmt(v, digits) {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

function setValue(id, v, text) {
  const el = $(id);
  el.dataset.value = String(v);
  el.textContent = text;
}

// ---- model ---------------------------------------------------------------

async function loadModel(entries, where) {
  setStatus("loading", "Checking the model bundle…");
  await paint();
  const files = new wasm_bindgen.Files();
  for (const [name, bytes] of entries) files.add(name, bytes);
  const model = wasm_bindgen.Model.load(files);
  const info = JSON.parse(model.info());
  setStatus("loading", "Preparing the CNN (ResNet50)…");
  await paint();
  model.prepare();
  if (state.model) state.model.free();
  state.model = model;
  state.info = info;
  $("model-info").textContent =
    `DLRN trained on ${info.trained_on} (${info.date}), ${where}; ` +
    `${info.signature_features.length} signature features, ${info.variables.length} clinical variables.`;
  $("cutoff-text").textContent = `(${fmt(info.cutoff, 3)})`;
  $("about").textContent = `CNN: ${info.cnn}. Signature features: ${info.signature_features.join(", ")}.` +
    (info.harmonized ? " The model was trained on ComBat-harmonised features; a single patient cannot be harmonised here." : "");
  buildForm(info);
  clearResult();
  setStatus("idle", "Ready: load an image, outline the lesion, enter the clinical values, then Predict.");
}

function buildForm(info) {
  const form = $("clinical");
  form.textContent = "";
  for (const v of info.variables) {
    const field = document.createElement("div");
    field.className = "field";
    const label = document.createElement("label");
    label.htmlFor = "var-" + v.name;
    label.textContent = v.label;
    let control;
    if (v.kind === "numeric") {
      control = document.createElement("input");
      control.type = "number";
      control.step = "any";
      if (v.range) control.placeholder = `training range ${fmt(v.range[0], 1)}–${fmt(v.range[1], 1)}`;
    } else {
      control = document.createElement("select");
      const empty = document.createElement("option");
      empty.value = "";
      empty.textContent = "— choose —";
      control.appendChild(empty);
      for (const l of v.levels) {
        const o = document.createElement("option");
        o.value = l.value;
        o.textContent = l.label === l.value ? l.value : `${l.label} (${l.value})`;
        control.appendChild(o);
      }
    }
    control.id = "var-" + v.name;
    control.name = v.name;
    field.append(label, control);
    form.appendChild(field);
  }
  const imputed = info.variables.filter((v) => v.imputed_with !== null);
  $("clinical-hint").textContent = imputed.length
    ? "A value left empty is replaced by the training cohort's value (" +
      imputed.map((v) => `${v.label}: ${v.imputed_with}`).join(", ") + "), with a warning."
    : "Every value is needed.";
}

$("model-folder").addEventListener("change", (ev) => enqueue(async () => {
  const picked = Array.from(ev.target.files);
  if (!picked.length) return;
  const entries = [];
  for (const f of picked) {
    // "model/cnn/weights.mpk" → "cnn/weights.mpk": paths inside the bundle.
    const parts = (f.webkitRelativePath || f.name).split("/");
    const name = parts.length > 1 ? parts.slice(1).join("/") : parts[0];
    entries.push([name, new Uint8Array(await f.arrayBuffer())]);
  }
  await loadModel(entries, `from the folder ${picked[0].webkitRelativePath.split("/")[0] || "chosen"}`);
}));

// ---- image and outline ----------------------------------------------------

function draw() {
  const c = $("canvas");
  const ctx = c.getContext("2d");
  if (!state.image) return;
  const w = state.image.width, h = state.image.height;
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  ctx.putImageData(new ImageData(new Uint8ClampedArray(state.image.rgba()), w, h), 0, 0);
  if (state.outline) {
    const overlay = document.createElement("canvas");
    overlay.width = w; overlay.height = h;
    overlay.getContext("2d").putImageData(
      new ImageData(new Uint8ClampedArray(state.outline.rgba(255, 196, 0, 90)), w, h), 0, 0);
    ctx.drawImage(overlay, 0, 0);
  }
  const v = state.vertices;
  if (v.length) {
    ctx.strokeStyle = "#ffc400";
    ctx.lineWidth = Math.max(1, w / 400);
    ctx.beginPath();
    ctx.moveTo(v[0][0], v[0][1]);
    for (const [x, y] of v.slice(1)) ctx.lineTo(x, y);
    if (state.closed) ctx.closePath();
    ctx.stroke();
    ctx.fillStyle = "#ffc400";
    for (const [x, y] of v) ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
  }
}

function setOutline(outline, text) {
  if (state.outline) state.outline.free();
  state.outline = outline;
  $("outline-info").textContent = text;
  clearResult();
  draw();
}

$("image-file").addEventListener("change", (ev) => enqueue(async () => {
  const f = ev.target.files[0];
  if (!f) return;
  // The previous patient's image and outline go first: an unreadable image
  // leaves none, so nothing is predicted from the wrong one.
  if (state.image) state.image.free();
  state.image = null;
  state.imageName = null;
  state.vertices = [];
  state.closed = false;
  setOutline(null, "");
  const c = $("canvas");
  c.getContext("2d").clearRect(0, 0, c.width, c.height);
  $("image-info").textContent = "";
  const bytes = new Uint8Array(await f.arrayBuffer());
  const image = wasm_bindgen.Image.read(f.name, bytes);
  state.image = image;
  state.imageName = f.name;
  setOutline(null, "Click on the image to place the outline's corners; double-click or “Close outline” to finish.");
  const prov = JSON.parse(image.provenance());
  $("image-info").textContent = `${f.name}: ${image.width}×${image.height}, ${prov.mapping.format}` +
    (prov.warnings.length ? ` — ${prov.warnings.join("; ")}` : "");
  setStatus("idle", "Image loaded: outline the lesion or load its mask.");
}));

$("mask-file").addEventListener("change", (ev) => enqueue(async () => {
  const f = ev.target.files[0];
  if (!f) return;
  if (!state.image) throw new Error("Load the ultrasound image before its mask.");
  const bytes = new Uint8Array(await f.arrayBuffer());
  const outline = state.image.mask_file(f.name, bytes);
  state.vertices = [];
  state.closed = false;
  setOutline(outline, `Mask ${f.name}: ${outline.area} lesion pixels.`);
  setStatus("idle", "Outline ready.");
}));

function imagePoint(ev) {
  const c = $("canvas");
  const r = c.getBoundingClientRect();
  return [(ev.clientX - r.left) * c.width / r.width, (ev.clientY - r.top) * c.height / r.height];
}

function closeOutline() {
  return enqueue(async () => {
    if (!state.image) throw new Error("Load an ultrasound image first.");
    if (state.vertices.length < 3) throw new Error("An outline needs at least 3 corners: click on the lesion's border.");
    state.closed = true;
    const outline = state.image.outline(
      state.vertices.map((p) => p[0]), state.vertices.map((p) => p[1]));
    setOutline(outline, `Drawn outline: ${state.vertices.length} corners, ${outline.area} lesion pixels.`);
    setStatus("idle", "Outline ready.");
  });
}

$("canvas").addEventListener("click", (ev) => {
  if (!state.image) return;
  if (state.closed) { state.vertices = []; state.closed = false; setOutline(null, ""); }
  state.vertices.push(imagePoint(ev));
  draw();
});
$("canvas").addEventListener("dblclick", () => closeOutline());
$("outline-close").addEventListener("click", () => closeOutline());
$("outline-clear").addEventListener("click", () => {
  state.vertices = [];
  state.closed = false;
  setOutline(null, "Outline cleared.");
});

// ---- prediction -----------------------------------------------------------

function clearResult() {
  for (const id of ["p-dlrn", "dlrn-class", "signature-score", "p-signature", "p-clinical", "total-points"]) {
    $(id).textContent = "—";
    delete $(id).dataset.value;
  }
  $("points-table").textContent = "";
  $("warnings").textContent = "";
  $("nomogram").textContent = "";
  delete $("features").dataset.json;
  delete $("timing-ms").dataset.value;
}

function clinicalValues() {
  const values = {};
  for (const v of state.info.variables) values[v.name] = $("var-" + v.name).value.trim();
  return values;
}

$("predict").addEventListener("click", () => enqueue(async () => {
  if (!state.model) throw new Error("Load a model first (the exported model folder).");
  if (!state.image) throw new Error("Load an ultrasound image first.");
  if (!state.outline) throw new Error("Outline the lesion (draw it and close it, or load its mask) first.");
  clearResult();
  const id = state.imageName.replace(/\.[^.]*$/, "").replace(/\.nii$/, "");
  setStatus("running", "Computing the 544 handcrafted features…");
  await paint();
  const t0 = performance.now();
  const handcrafted = JSON.parse(state.model.handcrafted(state.image, state.outline));
  const t1 = performance.now();
  setStatus("running", "Running ResNet50 on the lesion…");
  await paint();
  const t2 = performance.now();
  const deep = JSON.parse(state.model.deep(state.image, state.outline));
  const t3 = performance.now();
  const features = Object.assign({}, handcrafted, deep);
  const r = JSON.parse(state.model.predict(id, JSON.stringify(features), JSON.stringify(clinicalValues())));
  const t4 = performance.now();
  showResult(r);
  $("features").dataset.json = JSON.stringify(features);
  const ms = (t1 - t0) + (t4 - t2);
  $("timing-ms").dataset.value = String(ms);
  $("timing").textContent = `Computed in ${fmt(ms / 1000, 2)} s on this computer: handcrafted features ` +
    `${fmt(t1 - t0, 0)} ms, ResNet50 ${fmt(t3 - t2, 0)} ms, models and nomogram ${fmt(t4 - t3, 0)} ms.`;
  setStatus("ok", `Done: DLRN probability ${fmt(r.p_dlrn, 3)}.`);
}));

function showResult(r) {
  setValue("p-dlrn", r.p_dlrn, fmt(r.p_dlrn, 3));
  const positive = r.dlrn_class === 1;
  setValue("dlrn-class", r.dlrn_class, positive ? "ALN metastasis predicted" : "no ALN metastasis predicted");
  $("dlrn-class").className = "class-" + r.dlrn_class;
  setValue("signature-score", r.signature_score, fmt(r.signature_score, 4));
  setValue("p-signature", r.p_signature, fmt(r.p_signature, 3));
  setValue("p-clinical", r.p_clinical, fmt(r.p_clinical, 3));
  setValue("total-points", r.total_points, fmt(r.total_points, 1));
  const body = $("points-table");
  for (const [name, points] of r.points) {
    const axis = state.info.nomogram.axes.find((a) => a.name === name);
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = `Points: ${axis ? axis.label : name}`;
    const td = document.createElement("td");
    td.className = "num";
    td.id = "points-" + name;
    td.dataset.value = String(points);
    td.textContent = fmt(points, 1);
    tr.append(th, td);
    body.appendChild(tr);
  }
  for (const w of r.warnings) {
    const li = document.createElement("li");
    li.textContent = w;
    $("warnings").appendChild(li);
  }
  $("nomogram").appendChild(nomogramSvg(state.info.nomogram, r));
}

// ---- the nomogram, with the patient's points marked ----------------------

const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// rms::nomogram's layout: a Points axis (0–max), one axis per predictor
// with its values at their points, Total points, and the probability at
// its total points; the patient's points as markers on every axis.
function nomogramSvg(n, r) {
  const W = 720, left = 170, right = 24, rowH = 44;
  const maxPoints = Math.max(...n.points_ticks);
  const totals = n.total_points_ticks;
  const tMin = Math.min(...totals), tMax = Math.max(...totals);
  const xp = (p) => left + (W - left - right) * p / maxPoints;
  const xt = (t) => left + (W - left - right) * (t - tMin) / (tMax - tMin);
  const rows = 1 + n.axes.length + 2;
  const svg = el("svg", { viewBox: `0 0 ${W} ${rows * rowH + 16}`, role: "img",
    "aria-label": "Nomogram with this patient's points" });
  const axis = (y, label, ticks, x, marker) => {
    svg.appendChild(el("text", { x: 8, y: y + 4, "font-size": 13, "font-weight": 600 }, label));
    const xs = ticks.map((t) => x(t.at));
    svg.appendChild(el("line", { x1: Math.min(...xs), x2: Math.max(...xs), y1: y, y2: y, stroke: "#616e7c" }));
    // Every tick is marked; a label only where it clears the one before
    // (about 5.5 px per character at this size), as rms thins crowded axes.
    let lastX = -Infinity, lastHalf = 0;
    for (const t of [...ticks].sort((a, b) => x(a.at) - x(b.at))) {
      const tx = x(t.at), half = 2.75 * String(t.label).length;
      svg.appendChild(el("line", { x1: tx, x2: tx, y1: y, y2: y - 5, stroke: "#616e7c" }));
      if (tx - lastX >= lastHalf + half + 4) {
        svg.appendChild(el("text", { x: tx, y: y - 8, "font-size": 10, "text-anchor": "middle", fill: "#3e4c59" }, t.label));
        lastX = tx;
        lastHalf = half;
      }
    }
    if (marker !== undefined && Number.isFinite(marker)) {
      svg.appendChild(el("circle", { cx: x(marker), cy: y, r: 5, fill: "#d64545", stroke: "#fff" }));
    }
  };
  let y = rowH - 8;
  axis(y, "Points", n.points_ticks.map((p) => ({ at: p, label: String(p) })), xp);
  const pts = Object.fromEntries(r.points);
  for (const a of n.axes) {
    y += rowH;
    axis(y, a.label, a.ticks.map((t) => ({ at: t.points, label: t.label })), xp, pts[a.name]);
  }
  y += rowH;
  axis(y, "Total points", totals.map((t) => ({ at: t, label: String(t) })), xt, r.total_points);
  y += rowH;
  axis(y, "Probability of ALN metastasis", n.probability_axis.map((t) => ({ at: t.position, label: t.label })), xt, r.total_points);
  return svg;
}

// ---- start ----------------------------------------------------------------

enqueue(async () => {
  setStatus("loading", "Loading the DLRN module…");
  if (typeof wasm_bindgen === "undefined" || typeof DLRN_WASM === "undefined") {
    throw new Error("dlrn_web.js or dlrn_web_wasm.js is missing beside this page: export it again with `dlrn export-web`.");
  }
  await wasm_bindgen({ module_or_path: fromBase64(DLRN_WASM) });
  if (typeof DLRN_MODEL === "undefined") {
    setStatus("no-model", "Choose the exported model folder (step 1).");
    return;
  }
  const entries = Object.entries(DLRN_MODEL.files).map(([name, b64]) => [name, fromBase64(b64)]);
  await loadModel(entries, "beside this page");
});
