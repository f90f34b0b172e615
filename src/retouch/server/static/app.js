// Retouch page: talks to the HTTP API only; every image operation happens on the server.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");

const state = {
  session: null,
  original: null, // image id of the session's first entry
  current: null, // image id shown as "after"
  width: 0,
  height: 0,
  catalogue: new Map(), // op name -> spec from /api/ops
  regions: [],
  colors: [],
  steps: [], // the plan being edited: {op, amount, region, params}
  plannedText: null,
  busy: false,
  maskPainted: false,
};

// ---- talking to the server ---------------------------------------------------------------------

function withToken(url) {
  if (!token) return url;
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token) headers.set("Authorization", "Bearer " + token);
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    if (type.includes("json")) message = (await response.json()).error || message;
    throw new Error(message);
  }
  return type.includes("json") ? response.json() : response.blob();
}

function form(fields) {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    if (value instanceof Blob) data.append(key, value, key + ".png");
    else data.append(key, value);
  }
  return data;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForJob(reply) {
  for (;;) {
    const job = await api(reply.status_url);
    showProgress(job);
    if (job.status === "done") return job.result;
    if (job.status === "error") throw new Error(job.error);
    await sleep(150);
  }
}

// ---- status and progress -----------------------------------------------------------------------

function say(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

function setBusy(busy) {
  state.busy = busy;
  document.body.classList.toggle("busy", busy);
  refreshButtons();
}

function showProgress(job) {
  $("progress").hidden = false;
  const fraction = job.total ? job.done / job.total : job.status === "done" ? 1 : 0;
  $("progress-fill").style.width = Math.round(fraction * 100) + "%";
  $("progress-text").textContent =
    job.status === "running" ? `Step ${Math.min(job.done + 1, job.total)} of ${job.total}: ${job.stage}` : job.status;
}

function refreshButtons() {
  const hasImage = Boolean(state.current);
  $("run").disabled = state.busy || !hasImage || state.steps.length === 0;
  $("plan-button").disabled = state.busy;
  $("inpaint").disabled = state.busy || !hasImage || !state.maskPainted || !state.catalogue.has("inpaint");
  $("describe").disabled = state.busy || !hasImage;
  $("show-region").disabled = state.busy || !hasImage;
  const download = $("download");
  download.classList.toggle("disabled", !hasImage);
  download.setAttribute("aria-disabled", String(!hasImage));
  download.href = hasImage ? withToken(`/api/images/${state.current}?download=1`) : "#";
}

// ---- the catalogue and the step editor ---------------------------------------------------------

async function loadCatalogue() {
  const reply = await api("/api/ops");
  for (const spec of reply.ops) state.catalogue.set(spec.name, spec);
  state.regions = reply.regions;
  state.colors = reply.colors;
  const select = $("region-select");
  for (const name of regionChoices().filter((r) => r !== "mask")) select.append(new Option(name, name));
}

function regionChoices() {
  return [...state.regions, ...state.colors.map((c) => "color:" + c)];
}

function opSelect(current) {
  const select = document.createElement("select");
  select.className = "op";
  select.setAttribute("aria-label", "Operation");
  const families = new Map();
  for (const spec of state.catalogue.values()) {
    if (!families.has(spec.family)) families.set(spec.family, []);
    families.get(spec.family).push(spec);
  }
  for (const [family, specs] of families) {
    const group = document.createElement("optgroup");
    group.label = family;
    for (const spec of specs) group.append(new Option(spec.name, spec.name, false, spec.name === current));
    select.append(group);
  }
  return select;
}

function renderSteps() {
  const list = $("plan-steps");
  list.replaceChildren();
  state.steps.forEach((step, index) => list.append(stepRow(step, index)));
  refreshButtons();
}

function stepRow(step, index) {
  const spec = state.catalogue.get(step.op);
  const row = document.createElement("li");
  row.className = "step";

  const op = opSelect(step.op);
  op.addEventListener("change", () => {
    const next = state.catalogue.get(op.value);
    state.steps[index] = {
      op: op.value,
      amount: next.amount ? next.amount.default : null,
      region: next.regional ? step.region : null,
      params: {},
    };
    renderSteps();
  });

  const amount = document.createElement("input");
  amount.type = "range";
  amount.className = "amount";
  amount.setAttribute("aria-label", "Amount");
  const value = document.createElement("output");
  if (spec && spec.amount) {
    amount.min = spec.amount.minimum;
    amount.max = spec.amount.maximum;
    amount.step = (spec.amount.maximum - spec.amount.minimum) / 200;
    amount.value = step.amount ?? spec.amount.default;
    value.textContent = Number(amount.value).toFixed(2);
    amount.addEventListener("input", () => {
      step.amount = Number(amount.value);
      value.textContent = step.amount.toFixed(2);
    });
  } else {
    amount.disabled = true;
    value.textContent = "—";
  }

  const region = document.createElement("select");
  region.className = "region";
  region.setAttribute("aria-label", "Region");
  region.append(new Option("whole image", ""));
  for (const name of regionChoices()) region.append(new Option(name, name, false, name === step.region));
  if (step.region && !regionChoices().includes(step.region)) {
    region.append(new Option(step.region, step.region, false, true));
  }
  region.disabled = !spec || !spec.regional;
  region.addEventListener("change", () => {
    step.region = region.value || null;
  });

  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "remove";
  remove.textContent = "×";
  remove.title = "Remove this step";
  remove.addEventListener("click", () => {
    state.steps.splice(index, 1);
    renderSteps();
  });

  row.append(op, amount, value, region, remove);
  const extra = Object.entries(step.params || {});
  if (extra.length) {
    const params = document.createElement("div");
    params.className = "params muted";
    params.textContent = extra.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
    row.append(params);
  }
  if (spec) row.title = spec.description;
  return row;
}

// ---- planning and running ----------------------------------------------------------------------

async function planInstruction() {
  const text = $("instruction").value.trim();
  if (!text) return say("Type what you want first.", true);
  setBusy(true);
  try {
    const reply = await api("/api/plan", { method: "POST", body: form({ instruction: text }) });
    state.steps = reply.plan.steps;
    state.plannedText = text;
    renderSteps();
    say(`Planned ${state.steps.length} step(s). Edit them, then Run (or press Enter).`);
  } catch (error) {
    state.steps = [];
    state.plannedText = null;
    renderSteps();
    say(error.message, true);
  } finally {
    setBusy(false);
  }
}

async function runPlan() {
  if (!state.current) return say("Open an image first.", true);
  const needsMask = state.steps.some((s) => s.region === "mask" || (s.op === "inpaint" && !s.region));
  if (needsMask && !state.maskPainted) return say("A step uses the brush mask: paint one first.", true);
  const plan = { steps: state.steps.map(({ op, amount, region, params }) => ({ op, amount, region, params })) };
  const fields = {
    image: state.current,
    plan: JSON.stringify(plan),
    session: state.session,
    instruction: state.plannedText,
    mask: needsMask ? await maskBlob() : null,
  };
  await runJob("/api/run", fields, "Running the plan…");
}

async function inpaint() {
  const fields = { image: state.current, mask: await maskBlob(), session: state.session };
  if (await runJob("/api/inpaint", fields, "Filling the painted area…")) clearMask();
}

async function runJob(path, fields, message) {
  setBusy(true);
  say(message);
  try {
    const reply = await api(path, { method: "POST", body: form(fields) });
    const result = await waitForJob(reply);
    showResult(result);
    await loadHistory();
    say(`Done in ${(result.report.total_ms / 1000).toFixed(2)} s.`);
    return true;
  } catch (error) {
    say(error.message, true);
    return false;
  } finally {
    setBusy(false);
  }
}

function showResult(result) {
  state.session = result.session;
  localStorage.setItem("retouch.session", result.session);
  showImages(state.original || result.input_id, result.image_id, result.width, result.height);
  const strip = $("previews");
  strip.replaceChildren();
  for (const preview of result.previews) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = preview.url;
    img.alt = preview.label;
    const caption = document.createElement("figcaption");
    caption.textContent = preview.label;
    figure.append(img, caption);
    strip.append(figure);
  }
  const answers = result.report.analysis || [];
  if (answers.length) showDescription(answers.map((a) => a.result));
}

// ---- images, before/after ----------------------------------------------------------------------

async function openFile(file) {
  if (!file) return;
  setBusy(true);
  say(`Uploading ${file.name}…`);
  try {
    const reply = await api("/api/images", { method: "POST", body: form({ image: file }) });
    state.session = reply.session;
    state.original = reply.id;
    localStorage.setItem("retouch.session", reply.session);
    showImages(reply.id, reply.id, reply.width, reply.height);
    clearMask();
    hideRegion();
    $("previews").replaceChildren();
    $("description").replaceChildren();
    await loadHistory();
    say(`Opened ${file.name} (${reply.width} × ${reply.height}).`);
  } catch (error) {
    say(error.message, true);
  } finally {
    setBusy(false);
  }
}

function showImages(beforeId, afterId, width, height) {
  const sizeChanged = width !== state.width || height !== state.height;
  state.original = beforeId;
  state.current = afterId;
  state.width = width;
  state.height = height;
  $("before-image").src = withToken(`/api/images/${beforeId}`);
  $("after-image").src = withToken(`/api/images/${afterId}`);
  $("stage").hidden = false;
  $("compare").hidden = false;
  $("drop-hint").hidden = true;
  if (sizeChanged) {
    for (const canvas of [$("mask-canvas"), $("region-canvas")]) {
      canvas.width = width;
      canvas.height = height;
    }
    state.maskPainted = false;
  }
  fitStage();
  updateCompare();
  refreshButtons();
}

function fitStage() {
  // Fill the viewer (small images are shown larger, big ones smaller) at the image's aspect ratio.
  if (!state.width || !state.height) return;
  const viewer = $("viewer");
  const scale = Math.min((viewer.clientWidth - 32) / state.width, (window.innerHeight * 0.68) / state.height);
  $("before-image").style.width = Math.floor(state.width * scale) + "px";
  $("before-image").style.height = Math.floor(state.height * scale) + "px";
}

function updateCompare() {
  const percent = Number($("compare-slider").value);
  // The after image covers the stage; clipping its left part shows the before image there.
  $("after-image").style.clipPath = `inset(0 0 0 ${percent}%)`;
  $("divider").style.left = percent + "%";
}

// ---- history -----------------------------------------------------------------------------------

async function loadHistory(reply) {
  if (!state.session) return;
  const history = reply || (await api(`/api/history/${state.session}`));
  const list = $("history");
  list.replaceChildren();
  for (const entry of history.entries) {
    const item = document.createElement("li");
    item.textContent = entry.label;
    item.title = entry.plan ? entry.plan.steps.map((s) => s.op).join(", ") : "the image as opened";
    item.classList.toggle("current", entry.id === history.current);
    item.addEventListener("click", () => moveHistory("select", entry.id));
    list.append(item);
  }
  $("undo").disabled = !history.can_undo;
  $("redo").disabled = !history.can_redo;
  const current = history.entries.find((e) => e.id === history.current);
  if (current && current.image !== state.current) {
    showImages(history.original_image, current.image, state.width, state.height);
    // Sizes can differ between entries (crop, resize): read them from the loaded image.
    $("after-image").addEventListener("load", adoptLoadedSize, { once: true });
  }
  state.original = history.original_image;
}

function adoptLoadedSize() {
  const img = $("after-image");
  if (img.naturalWidth !== state.width || img.naturalHeight !== state.height) {
    showImages(state.original, state.current, img.naturalWidth, img.naturalHeight);
  }
}

async function moveHistory(action, entry) {
  if (!state.session || state.busy) return;
  try {
    const path = `/api/history/${state.session}/${action}`;
    const reply = await api(path, { method: "POST", body: entry ? form({ entry }) : undefined });
    await loadHistory(reply);
    $("previews").replaceChildren(); // they showed the steps of the image left behind
    say(action === "select" ? "Jumped in history." : action === "undo" ? "Undone." : "Redone.");
  } catch (error) {
    say(error.message, true);
  }
}

async function resumeSession() {
  const saved = localStorage.getItem("retouch.session");
  if (!saved) return;
  try {
    const history = await api(`/api/history/${saved}`);
    state.session = saved;
    const current = history.entries.find((e) => e.id === history.current);
    showImages(history.original_image, current.image, 0, 0);
    $("after-image").addEventListener("load", adoptLoadedSize, { once: true });
    await loadHistory(history);
  } catch {
    localStorage.removeItem("retouch.session");
  }
}

// ---- the mask brush ----------------------------------------------------------------------------

const brush = { drawing: false, last: null };

function canvasPoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * canvas.width) / box.width,
    y: ((event.clientY - box.top) * canvas.height) / box.height,
    scale: canvas.width / box.width,
  };
}

function paint(event) {
  const canvas = $("mask-canvas");
  const point = canvasPoint(canvas, event);
  const ctx = canvas.getContext("2d");
  const erase = document.querySelector('input[name="brush-mode"]:checked').value === "erase";
  ctx.globalCompositeOperation = erase ? "destination-out" : "source-over";
  ctx.strokeStyle = ctx.fillStyle = "rgb(255, 0, 220)"; // magenta stands out on skin and sky alike
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.lineWidth = Number($("brush-size").value) * point.scale;
  const from = brush.last || point;
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(point.x + 0.01, point.y);
  ctx.stroke();
  brush.last = point;
  if (!erase) state.maskPainted = true;
}

function setupBrush() {
  const canvas = $("mask-canvas");
  canvas.addEventListener("pointerdown", (event) => {
    if (!$("brush-toggle").checked) return;
    canvas.setPointerCapture(event.pointerId);
    brush.drawing = true;
    brush.last = null;
    paint(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    showBrushCursor(event);
    if (brush.drawing) paint(event);
  });
  canvas.addEventListener("pointerleave", () => {
    $("brush-cursor").hidden = true;
  });
  const stop = () => {
    brush.drawing = false;
    brush.last = null;
    refreshButtons();
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  $("brush-toggle").addEventListener("change", () => {
    canvas.classList.toggle("active", $("brush-toggle").checked);
  });
  $("clear-mask").addEventListener("click", clearMask);
}

function showBrushCursor(event) {
  // A ring the size of the brush, so people see what a stroke will cover.
  const cursor = $("brush-cursor");
  const box = $("stage").getBoundingClientRect();
  const size = Number($("brush-size").value);
  cursor.hidden = false;
  cursor.style.width = cursor.style.height = size + "px";
  cursor.style.left = event.clientX - box.left - size / 2 + "px";
  cursor.style.top = event.clientY - box.top - size / 2 + "px";
}

function clearMask() {
  const canvas = $("mask-canvas");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  state.maskPainted = false;
  refreshButtons();
}

function maskBlob() {
  // White where painted, black elsewhere, at the image's own size.
  const source = $("mask-canvas");
  const painted = source.getContext("2d").getImageData(0, 0, source.width, source.height).data;
  const out = document.createElement("canvas");
  out.width = source.width;
  out.height = source.height;
  const ctx = out.getContext("2d");
  const pixels = ctx.createImageData(out.width, out.height);
  for (let i = 0; i < painted.length; i += 4) {
    const value = painted[i + 3];
    pixels.data[i] = pixels.data[i + 1] = pixels.data[i + 2] = value;
    pixels.data[i + 3] = 255;
  }
  ctx.putImageData(pixels, 0, 0);
  return new Promise((resolve) => out.toBlob(resolve, "image/png"));
}

// ---- region overlay ----------------------------------------------------------------------------

async function showRegion() {
  const region = $("region-select").value;
  setBusy(true);
  say(`Finding "${region}"…`);
  try {
    const blob = await api(`/api/mask?image=${encodeURIComponent(state.current)}&region=${encodeURIComponent(region)}`);
    const mask = await createImageBitmap(blob);
    const canvas = $("region-canvas");
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(mask, 0, 0, canvas.width, canvas.height);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let selected = 0;
    for (let i = 0; i < data.data.length; i += 4) {
      const weight = data.data[i];
      selected += weight;
      data.data[i] = 30;
      data.data[i + 1] = 150;
      data.data[i + 2] = 255;
      data.data[i + 3] = Math.round(weight * 0.6);
    }
    ctx.putImageData(data, 0, 0);
    canvas.hidden = false;
    const share = (100 * selected) / (255 * canvas.width * canvas.height);
    say(`"${region}" covers ${share.toFixed(1)} % of the image (shown in blue).`);
  } catch (error) {
    say(error.message, true);
  } finally {
    setBusy(false);
  }
}

function hideRegion() {
  const canvas = $("region-canvas");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

// ---- describe ----------------------------------------------------------------------------------

async function describe() {
  setBusy(true);
  say("Looking at the image…");
  try {
    const reply = await api("/api/describe", {
      method: "POST",
      body: form({ image: state.current, question: $("question").value.trim() || null }),
    });
    showDescription([reply]);
    say("Described.");
  } catch (error) {
    say(error.message, true);
  } finally {
    setBusy(false);
  }
}

function showDescription(results) {
  const panel = $("description");
  panel.replaceChildren();
  for (const result of results) {
    if (result && typeof result === "object" && (result.answer || result.summary)) {
      for (const key of ["answer", "summary"]) {
        if (!result[key]) continue;
        const paragraph = document.createElement("p");
        paragraph.className = key;
        paragraph.textContent = typeof result[key] === "string" ? result[key] : JSON.stringify(result[key]);
        panel.append(paragraph);
      }
    }
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "All facts";
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(result, null, 2);
    details.append(summary, pre);
    panel.append(details);
  }
}

// ---- wiring ------------------------------------------------------------------------------------

function onInstructionKey(event) {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  if (state.busy) return;
  const text = $("instruction").value.trim();
  const planned = text === state.plannedText && state.steps.length > 0;
  if (planned || !$("review").checked) {
    (planned ? Promise.resolve() : planInstruction()).then(() => {
      if (state.steps.length) runPlan();
    });
  } else {
    planInstruction();
  }
}

function onGlobalKey(event) {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z" || typing) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y" && !typing) {
      event.preventDefault();
      moveHistory("redo");
    }
    return;
  }
  event.preventDefault();
  moveHistory(event.shiftKey ? "redo" : "undo");
}

function setupDrop() {
  const viewer = $("viewer");
  viewer.addEventListener("dragover", (event) => {
    event.preventDefault();
    viewer.classList.add("dragging");
  });
  viewer.addEventListener("dragleave", () => viewer.classList.remove("dragging"));
  viewer.addEventListener("drop", (event) => {
    event.preventDefault();
    viewer.classList.remove("dragging");
    openFile(event.dataTransfer.files[0]);
  });
}

async function start() {
  $("file-input").addEventListener("change", (event) => openFile(event.target.files[0]));
  $("instruction").addEventListener("keydown", onInstructionKey);
  $("plan-button").addEventListener("click", planInstruction);
  $("run").addEventListener("click", runPlan);
  $("add-step").addEventListener("click", () => {
    const spec = state.catalogue.get("brightness") || state.catalogue.values().next().value;
    state.steps.push({ op: spec.name, amount: spec.amount ? spec.amount.default : null, region: null, params: {} });
    renderSteps();
  });
  $("compare-slider").addEventListener("input", updateCompare);
  window.addEventListener("resize", fitStage);
  $("undo").addEventListener("click", () => moveHistory("undo"));
  $("redo").addEventListener("click", () => moveHistory("redo"));
  $("inpaint").addEventListener("click", inpaint);
  $("show-region").addEventListener("click", showRegion);
  $("hide-region").addEventListener("click", hideRegion);
  $("describe").addEventListener("click", describe);
  $("download").addEventListener("click", (event) => {
    if (!state.current) event.preventDefault();
  });
  document.addEventListener("keydown", onGlobalKey);
  setupBrush();
  setupDrop();
  try {
    await loadCatalogue();
    await resumeSession();
    say(state.current ? "Resumed your last session." : "Open an image to start.");
  } catch (error) {
    say(error.message, true);
  }
  renderSteps();
  document.body.dataset.ready = "true";
}

start();
