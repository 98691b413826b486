/* MotCua workspace: dialogs, drag-and-drop of scans with upload progress. No build step, no library
   besides htmx. Every control also works by keyboard: dialogs are <dialog> (Escape closes them),
   drop zones hold a normal file input. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // --- dialogs: a button with data-dialog="id" opens <dialog id>; [data-close] closes it ----------------
  // Browsers with invoker commands (commandfor/command, Chromium 135+) open and close them natively,
  // even before this file has loaded; this is the fallback for the others.
  var native = "command" in HTMLButtonElement.prototype;
  document.addEventListener("click", function (event) {
    if (native) return;
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog && !dialog.open) {
        dialog.showModal();
        var first = dialog.querySelector("[autofocus]") || dialog.querySelector("input, select, textarea, button");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-close]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) open.close();
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target.tagName !== "DIALOG") return;
    var opener = document.querySelector('[data-dialog="' + event.target.id + '"]');
    if (opener) opener.focus();
  }, true);

  // --- drop zones: files dropped on [data-drop] join its file input ------------------------------------
  function sizeText(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1).replace(".", ",") + " MB"
                            : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }
  function listPicked(input) {
    var zone = input.closest("[data-drop]");
    var list = zone && zone.querySelector(".picked");
    if (!list) return;
    var tick = zone.getAttribute("data-tick") && document.getElementById(zone.getAttribute("data-tick"));
    if (tick && input.files.length) tick.checked = true;  // a scanned document was brought
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + sizeText(file.size) + ")";
      list.appendChild(item);
    });
  }
  function addFiles(input, files) {
    var transfer = new DataTransfer();
    if (input.multiple) Array.prototype.forEach.call(input.files, function (f) { transfer.items.add(f); });
    Array.prototype.forEach.call(files, function (f, i) {
      if (input.multiple || i === 0) transfer.items.add(f);
    });
    input.files = transfer.files;
    listPicked(input);
  }
  document.addEventListener("change", function (event) {
    if (event.target.type === "file") listPicked(event.target);
  });
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = event.target.closest && event.target.closest("[data-drop]");
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop]");
    if (zone) zone.classList.remove("over");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("over");
    var input = zone.querySelector('input[type="file"]');
    if (input && event.dataTransfer && event.dataTransfer.files.length) addFiles(input, event.dataTransfer.files);
  });

  // --- upload progress: htmx sends the form by XHR and reports its upload's progress --------------------
  function progressOf(form) { return form && form.querySelector(".upload-progress"); }
  function hasFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll('input[type="file"]'), function (i) { return i.files.length; });
  }
  document.addEventListener("htmx:xhr:loadstart", function (event) {
    var form = event.target.closest("form"), bar = progressOf(form);
    if (bar && event.target === form && hasFiles(form)) { bar.hidden = false; bar.value = 0; }
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = progressOf(event.target.closest("form"));
    if (bar && !bar.hidden && event.detail.lengthComputable && event.detail.total) {
      bar.value = Math.round(100 * event.detail.loaded / event.detail.total);
      bar.textContent = bar.value + "%";
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var bar = progressOf(event.target.closest("form"));
    if (bar && !event.detail.successful) bar.hidden = true;  // refused: the reasons replace the bar
  });
  // Submit buttons stay disabled while a request runs: a double click is one command.
  // (Only the form's own submission: a preview fetched from inside the form leaves them alone.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (form.tagName === "FORM") form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = true; });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (form.tagName === "FORM") form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = false; });
  });
  // A refusal swapped in is read out and focused.
  document.addEventListener("htmx:afterSwap", function (event) {
    var alert = event.target.querySelector && event.target.querySelector('[role="alert"]');
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  });

  ready(function () {
    document.querySelectorAll('input[type="file"]').forEach(listPicked);
  });
})();
