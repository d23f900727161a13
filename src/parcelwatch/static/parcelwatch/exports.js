// Follow exports the worker is still writing; reload the list when one finishes.
(function () {
  const pending = Array.from(document.querySelectorAll('[data-testid="export-job"][data-finished="0"]'));
  if (!pending.length) return;
  function poll() {
    Promise.all(pending.map(item => fetch(item.dataset.statusUrl, {credentials: "same-origin"})
      .then(r => r.ok ? r.json() : null)
      .then(s => {
        if (!s) return false;
        const bar = item.querySelector('[data-role="bar"]');
        if (bar) bar.style.width = s.percent + "%";
        const rows = item.querySelector('[data-role="rows"]');
        if (rows && s.rows_total !== null) rows.textContent = s.rows_done.toLocaleString() + " / " + s.rows_total.toLocaleString();
        const state = item.querySelector('[data-role="state"]');
        if (state) state.textContent = s.state_label;
        return s.finished;
      }).catch(() => false)))
      .then(done => { if (done.some(Boolean)) window.location.reload(); else setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1500);
})();
