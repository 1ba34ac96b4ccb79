// The dashboard's only script: live job statuses by polling a JSON endpoint (no reload), and
// turning a picked local time into UTC before a schedule form is sent. No build step.
(function () {
  "use strict";
  var EVERY_MS = 2000;

  function setStatus(el, job) {
    if (el.dataset.jobStatus === job.status) return;
    el.dataset.jobStatus = job.status;
    el.textContent = job.label;
    el.className = "badge st-" + job.status;
  }

  function setRow(row, job) {
    row.classList.toggle("stuck", job.stuck);
    row.classList.toggle("duplicate", job.duplicate);
    row.classList.toggle("failed", job.failed);
  }

  async function swapLive(live) {
    var box = document.getElementById("live");
    if (!box || !live || box.dataset.version === live.version) return;
    var reply = await fetch(live.url, { credentials: "same-origin" });
    if (!reply.ok) return;
    var html = await reply.text();
    var open = box.querySelectorAll("details[open]").length;
    box.innerHTML = html;
    box.dataset.version = live.version;
    if (open) box.querySelectorAll("details").forEach(function (d) { d.open = true; });
  }

  async function tick(url) {
    try {
      var reply = await fetch(url, { credentials: "same-origin",
                                     headers: { Accept: "application/json" } });
      if (reply.status === 401) { window.location.reload(); return; }
      if (reply.ok) {
        var data = await reply.json();
        data.jobs.forEach(function (job) {
          document.querySelectorAll('[data-job-id="' + job.id + '"]').forEach(function (el) {
            setStatus(el, job);
          });
          document.querySelectorAll('[data-job-row="' + job.id + '"]').forEach(function (row) {
            setRow(row, job);
          });
        });
        await swapLive(data.live);
      }
    } catch (err) {
      // The server restarting is not a page error: try again on the next tick.
    }
    window.setTimeout(function () { tick(url); }, EVERY_MS);
  }

  function utcOnSubmit(form) {
    form.addEventListener("submit", function () {
      var local = form.querySelector('input[name="scheduled_at"]');
      var utc = form.querySelector('input[name="scheduled_at_utc"]');
      if (!local || !utc) return;
      utc.value = local.value ? new Date(local.value).toISOString() : "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.schedule-form").forEach(utcOnSubmit);
    var url = document.body.dataset.poll;
    if (url) window.setTimeout(function () { tick(url); }, EVERY_MS);
  });
})();
