/* Online submission: upload with a progress bar. Without this script the form posts normally; with it,
   the same post goes by XHR so the bar can show the upload's progress. The response — the page a success
   redirects to, or the refusal (422 …) — replaces the main content; an error summary gets focus. */
(function () {
  "use strict";
  function hasFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll('input[type="file"]'), function (i) { return i.files.length; });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-upload-form") || !window.FormData || !hasFiles(form)) return;
    event.preventDefault();
    var submitter = event.submitter;
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var status = form.querySelector(".upload-status"), bar = status && status.querySelector("progress");
    var buttons = form.querySelectorAll('button[type="submit"]');
    buttons.forEach(function (b) { b.disabled = true; });  // a double click is one request
    if (status) { status.hidden = false; bar.value = 0; bar.textContent = "0%"; }
    var xhr = new XMLHttpRequest();
    // form.getAttribute, not form.action: the submit buttons are named "action" and shadow the property
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (bar && e.lengthComputable && e.total) { bar.value = Math.round(100 * e.loaded / e.total); bar.textContent = bar.value + "%"; }
    });
    xhr.addEventListener("load", function () {
      // The redirect was followed by the XHR: show that page here (its flash message is in it).
      if (xhr.status === 200 && xhr.responseURL !== window.location.href) history.replaceState(null, "", xhr.responseURL);
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fresh = doc.querySelector("main"), main = document.querySelector("main");
      if (fresh && main) { main.replaceWith(fresh); document.title = doc.title; }
      var summary = document.getElementById("error-summary");
      if (summary) summary.focus();
    });
    xhr.addEventListener("error", function () {
      buttons.forEach(function (b) { b.disabled = false; });
      if (status) status.hidden = true;
      window.alert("Mất kết nối khi tải tệp lên. Vui lòng thử lại.");
    });
    xhr.send(data);
  });
  // Focus the error summary of a refused (non-script) post, so it is read out first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
