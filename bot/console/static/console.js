// The console's only script: confirmations and the schedule form's live preview.
// Every form also works without it.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});

(function () {
  var form = document.getElementById("schedule-form");
  var out = document.getElementById("live-preview");
  if (!form || !out) { return; }
  var timer = null;
  function refresh() {
    var data = new FormData(form);
    fetch("/admin/schedules/preview", {
      method: "POST",
      body: data,
      headers: { "X-CSRF-Token": data.get("csrf"), "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (r) { return r.json(); }).then(function (j) {
      out.textContent = j.preview;
    }).catch(function () { /* the 预览 button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
