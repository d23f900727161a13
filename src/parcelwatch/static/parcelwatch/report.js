// Reporting from the phone: find the site (search, nearby, QR), take the position, check before sending.
(function () {
  const cfg = JSON.parse(document.getElementById("pw-report-config").textContent);
  const form = document.getElementById("pw-report");
  const siteInput = document.getElementById("id_site");
  const results = document.getElementById("pw-site-results");
  const gps = document.getElementById("pw-gps");
  const check = document.getElementById("pw-report-check");
  const photoInput = document.getElementById("id_photos");
  let position = null;

  function choose(site) {
    siteInput.value = site.id;
    document.getElementById("pw-site-name").textContent = site.name;
    document.getElementById("pw-site-address").textContent = site.address;
    document.getElementById("pw-site-chosen").classList.remove("d-none");
    results.replaceChildren();
  }
  function show(sites) {
    results.replaceChildren();
    sites.forEach(site => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "list-group-item list-group-item-action";
      b.textContent = site.name + (site.distance_km !== null ? "（" + site.distance_km + " km）" : "");
      const small = document.createElement("div");
      small.className = "small text-muted";
      small.textContent = site.address;
      b.appendChild(small);
      b.addEventListener("click", () => choose(site));
      results.appendChild(b);
    });
    if (!sites.length) {
      const none = document.createElement("div");
      none.className = "list-group-item text-muted";
      none.textContent = cfg.messages.noSite;
      results.appendChild(none);
    }
  }
  function search(params) {
    fetch(cfg.sitesUrl + "?" + new URLSearchParams(params), {credentials: "same-origin"})
      .then(r => r.json()).then(d => show(d.sites || []));
  }
  let timer = null;
  document.getElementById("pw-site-search").addEventListener("input", e => {
    clearTimeout(timer);
    const q = e.target.value.trim();
    timer = setTimeout(() => q ? search(Object.assign({q: q}, position || {})) : results.replaceChildren(), 250);
  });
  document.getElementById("pw-nearby").addEventListener("click", () => search(position || {}));

  function inCity(lng, lat) {
    const b = cfg.bounds;
    return !b || (lng >= b[0] && lat >= b[1] && lng <= b[2] && lat <= b[3]);
  }
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(p => {
      const lng = p.coords.longitude, lat = p.coords.latitude;
      if (!inCity(lng, lat)) { gps.textContent = cfg.messages.outside; return; }
      position = {lng: lng.toFixed(6), lat: lat.toFixed(6)};
      document.getElementById("id_lng").value = position.lng;
      document.getElementById("id_lat").value = position.lat;
      gps.textContent = cfg.messages.located + "：" + position.lng + ", " + position.lat;
    }, () => { gps.textContent = cfg.messages.noLocation; }, {enableHighAccuracy: true, timeout: 10000});
  } else {
    gps.textContent = cfg.messages.noLocation;
  }

  document.querySelectorAll("[data-pw-remove-photo]").forEach(btn => btn.addEventListener("click", () => {
    btn.closest("[data-pw-kept]").remove();
  }));

  // Check before anything is sent, so nothing typed or photographed is ever lost to a refusal.
  form.addEventListener("submit", e => {
    const problems = [];
    if (!siteInput.value) problems.push(cfg.messages.chooseSite);
    if (!document.getElementById("id_category").value) problems.push(cfg.messages.needCategory);
    if (!document.getElementById("id_description").value.trim()) problems.push(cfg.messages.needText);
    const kept = document.querySelectorAll("[data-pw-kept]").length;
    const files = Array.from(photoInput.files || []);
    if (!kept && !files.length) problems.push(cfg.messages.needPhoto);
    files.filter(f => f.size > cfg.maxFileBytes).forEach(f => problems.push(f.name + "：" + cfg.messages.tooLarge));
    if (problems.length) {
      e.preventDefault();
      check.replaceChildren(...problems.map(p => { const d = document.createElement("div"); d.textContent = p; return d; }));
      check.classList.remove("d-none");
      check.scrollIntoView({block: "center"});
    }
  });
})();
