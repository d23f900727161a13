// Small behaviours shared by every page (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  document.querySelectorAll("[data-pw-back]").forEach(b => b.addEventListener("click", () => history.back()));
  // Filters that apply as soon as they change (no inline handlers: the Content-Security-Policy forbids them).
  document.querySelectorAll("[data-pw-autosubmit]").forEach(el => el.addEventListener("change", () => el.form.submit()));

  // Deadline forms show the calendar date the working days lead to, before anything is issued.
  document.querySelectorAll("[data-pw-due-date]").forEach(input => {
    const target = document.getElementById(input.dataset.pwDueTarget);
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        fetch(input.dataset.pwDueDate + "?days=" + encodeURIComponent(input.value), {credentials: "same-origin"})
          .then(r => r.json())
          .then(d => {
            const strong = target.querySelector("strong");
            if (d.date) { strong.textContent = d.date; strong.nextSibling.textContent = "（" + d.weekday + "）"; }
            else { strong.textContent = d.detail || ""; strong.nextSibling.textContent = ""; }
          });
      }, 200);
    });
  });

  // Files too large for the server are caught here, before the form (and what was typed) is sent.
  const limit = Number(document.body.dataset.maxFileBytes || 0);
  const total = Number(document.body.dataset.maxRequestBytes || 0);
  document.querySelectorAll("form[enctype='multipart/form-data']").forEach(form => form.addEventListener("submit", e => {
    let sum = 0;
    const big = [];
    form.querySelectorAll("input[type=file]").forEach(input => Array.from(input.files || []).forEach(f => {
      sum += f.size;
      if (limit && f.size > limit) big.push(f.name);
    }));
    if (big.length || (total && sum > total)) {
      e.preventDefault();
      window.alert((document.body.dataset.tooLargeMessage || "") + (big.length ? "\n" + big.join("\n") : ""));
    }
  }));
})();
