// The sandbox composer: vanilla JS, no build step.
//
// Like the composers of real social sites, the editor's DOM is not the source of truth: an
// internal model is updated from `input` events only. Playwright's keyboard.insert_text,
// keyboard.type, fill and a paste all fire `input`; writing innerHTML from a script does not,
// and then the Post button stays disabled, exactly as on a real site.
//
// Elements are found through js-* classes so the same script drives all three designs
// (normal, redesign_fallback, redesign_broken); test ids come from the page's config.
(() => {
  "use strict";

  const cfg = JSON.parse(document.getElementById("composer-config").textContent);
  const $ = (selector) => document.querySelector(selector);

  const composer = $(".js-composer");
  const editor = $(".js-editor");
  const counter = $(".js-counter");
  const attach = $(".js-attach");
  const preview = $(".js-preview");
  const postButton = $(".js-post");
  const toasts = $(".js-toasts");
  let fileInput = $(".js-file"); // absent in the broken design until first needed

  const isTextarea = editor instanceof HTMLTextAreaElement;
  const broken = cfg.design === "broken";
  const model = { text: "", uploads: [], sending: false };

  const codePoints = (text) => Array.from(text).length;
  const apiUrl = (path) => (cfg.apiQuery ? `${path}?${cfg.apiQuery}` : path);
  const setTestId = (element, key) => {
    const id = cfg.ids[key];
    if (id) element.setAttribute("data-testid", id);
  };

  const BLOCKS = new Set(["DIV", "P", "LI", "UL", "OL", "BLOCKQUOTE", "PRE", "H1", "H2", "H3"]);

  // The lines of a contenteditable subtree, the way the browser shows them: each block is
  // its own line(s), <br> breaks a line, and a <br> ending a block is only a placeholder.
  // (innerText is not used: it adds an extra "\n" for Chrome's trailing <div><br></div>.)
  function linesOf(node) {
    const lines = [];
    let run = null;
    const flush = () => {
      if (run === null) return;
      lines.push(run.endsWith("\n") ? run.slice(0, -1) : run);
      run = null;
    };
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        run = (run ?? "") + child.data;
      } else if (child.nodeName === "BR") {
        run = (run ?? "") + "\n";
      } else if (BLOCKS.has(child.nodeName)) {
        flush();
        lines.push(...linesOf(child));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        run = (run ?? "") + linesOf(child).join("\n");
      }
    }
    flush();
    return lines;
  }

  function readEditor() {
    if (isTextarea) return editor.value;
    return linesOf(editor).join("\n").replace(/\u00a0/g, " ");
  }

  function render() {
    const length = codePoints(model.text);
    const over = length > cfg.max;
    counter.textContent = broken ? String(cfg.max - length) : `${length}/${cfg.max}`;
    counter.classList.toggle("over", over);
    const uploading = model.uploads.some((item) => item.state === "uploading");
    postButton.disabled = model.sending || uploading || over || model.text.trim() === "";
  }

  // Editor -----------------------------------------------------------------------------------

  editor.addEventListener("input", () => {
    model.text = readEditor();
    if (!isTextarea && model.text === "" && editor.innerHTML !== "") {
      editor.innerHTML = ""; // so the :empty placeholder comes back
    }
    render();
  });

  if (!isTextarea) {
    // Paste as plain text, through insertText so an `input` event follows.
    editor.addEventListener("paste", (event) => {
      event.preventDefault();
      const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
      document.execCommand("insertText", false, text);
    });
    editor.addEventListener("drop", (event) => event.preventDefault());
  }

  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !postButton.disabled) {
      event.preventDefault();
      postButton.click();
    }
  });

  // Toasts -----------------------------------------------------------------------------------

  function clearToasts() {
    toasts.replaceChildren();
  }

  function showToast(url) {
    clearToasts();
    const toast = document.createElement("div");
    toast.className = "toast";
    setTestId(toast, "toast");
    if (!broken) toast.setAttribute("role", "status");
    const link = document.createElement("a");
    setTestId(link, "toastLink");
    link.href = url;
    link.textContent = cfg.text.view;
    toast.append(document.createTextNode(`${cfg.text.sent} `), link);
    toasts.append(toast);
  }

  function showError(message) {
    clearToasts();
    const toast = document.createElement("div");
    toast.className = "toast toast-error";
    setTestId(toast, "errorToast");
    if (!broken) toast.setAttribute("role", "alert");
    toast.textContent = message;
    toasts.append(toast);
  }

  // Media ------------------------------------------------------------------------------------

  function ensureFileInput() {
    if (!fileInput) {
      fileInput = document.createElement("input");
      fileInput.type = "file";
      fileInput.accept = cfg.accept;
      fileInput.multiple = true;
      fileInput.hidden = true;
      fileInput.className = "js-file";
      composer.append(fileInput);
      fileInput.addEventListener("change", onFilesChosen);
    }
    return fileInput;
  }

  function onFilesChosen() {
    const files = Array.from(fileInput.files || []);
    fileInput.value = ""; // choosing the same file again still fires `change`
    files.forEach(upload);
  }

  function removeItem(item) {
    model.uploads = model.uploads.filter((other) => other !== item);
    if (item.request) item.request.abort();
    item.figure.remove();
    URL.revokeObjectURL(item.objectUrl);
    render();
  }

  function upload(file) {
    const figure = document.createElement("figure");
    figure.className = "media-item";
    setTestId(figure, "mediaItem");
    figure.dataset.state = "uploading";
    const objectUrl = URL.createObjectURL(file);
    const image = document.createElement("img");
    image.alt = file.name;
    image.src = objectUrl;
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", cfg.text.uploading);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.setAttribute("aria-label", cfg.text.removePhoto);
    remove.textContent = "×";
    figure.append(image, progress, remove);
    preview.append(figure);

    const item = { id: null, state: "uploading", figure, objectUrl, request: null };
    remove.addEventListener("click", () => removeItem(item));
    model.uploads.push(item);
    render();

    const failed = (message) => {
      if (!model.uploads.includes(item)) return; // removed meanwhile
      removeItem(item);
      showError(message);
    };
    const body = new FormData();
    body.append("file", file, file.name);
    const request = new XMLHttpRequest();
    item.request = request;
    request.open("POST", apiUrl("/api/media"));
    request.responseType = "json";
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded * 100) / event.total);
    });
    request.addEventListener("load", () => {
      const data = request.response || {};
      if (request.status !== 201 || !data.id) {
        failed(data.error || cfg.text.uploadFailed);
        return;
      }
      item.id = data.id;
      item.state = "ready";
      item.request = null;
      progress.remove();
      figure.dataset.state = "ready";
      figure.dataset.mediaId = data.id;
      render();
    });
    request.addEventListener("error", () => failed(cfg.text.network));
    request.send(body);
  }

  attach.addEventListener("click", () => ensureFileInput().click());
  if (fileInput) fileInput.addEventListener("change", onFilesChosen);

  // Posting ----------------------------------------------------------------------------------

  async function send() {
    model.sending = true;
    render();
    clearToasts();
    const payload = {
      text: model.text,
      media: model.uploads.filter((item) => item.state === "ready").map((item) => item.id),
    };
    let response;
    let data = {};
    try {
      response = await fetch(apiUrl("/api/posts"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
      data = await response.json().catch(() => ({}));
    } catch (_error) {
      model.sending = false;
      showError(cfg.text.network);
      render();
      return;
    }
    model.sending = false;
    if (response.status === 201 && data.url) {
      model.text = "";
      if (isTextarea) editor.value = "";
      else editor.innerHTML = "";
      model.uploads.forEach((item) => URL.revokeObjectURL(item.objectUrl));
      model.uploads = [];
      preview.replaceChildren();
      showToast(data.url);
    } else {
      showError(data.error || cfg.text.network);
    }
    render();
  }

  postButton.addEventListener("click", () => {
    if (!postButton.disabled) send();
  });

  // Cookie banner (fault cookie_banner) --------------------------------------------------------

  const banner = $(".js-cookie-banner");
  if (banner) {
    $(".js-cookie-accept").addEventListener("click", () => {
      document.cookie = "sandbox_cookie_consent=1; path=/; max-age=31536000; SameSite=Lax";
      banner.remove();
    });
  }

  render();
})();
