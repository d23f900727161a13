// The site map: districts from the boundary package, sites as points (large mode copes with 50,000+).
(function () {
  const cfg = JSON.parse(document.getElementById("pw-map-config").textContent);
  const el = document.getElementById("pw-map");
  if (!window.echarts || !el) return;
  const esc = echarts.format.encodeHTML;
  const colours = {outlet: "#0b6ec5", terminal: "#2a9d5c", sorting_center: "#d9822b"};
  const chart = echarts.init(el);
  const form = document.getElementById("pw-map-filters");
  const count = document.getElementById("pw-map-count");
  const age = document.getElementById("pw-map-age");
  let data = null;
  let events = null;  // open events overlaid on the sites, when asked for
  const eventsBox = document.getElementById("pw-map-events");

  function tooltip(p) {
    if (p.seriesId === "events" && Array.isArray(p.data)) {
      return esc(events.states[p.data[2]]) + " · " + esc(events.categories[p.data[3]]);
    }
    if (!p.data || !Array.isArray(p.data)) return esc(p.name || "");
    const brand = data.brands[p.data[3]] || "";
    return esc(p.data[5]) + (brand ? "（" + esc(brand) + "）" : "");
  }

  function render() {
    const kinds = Object.keys(data.kinds);
    const series = kinds.map((kind, k) => ({
      name: data.kinds[kind],
      type: "scatter",
      coordinateSystem: "geo",
      large: data.points.length > 5000,
      largeThreshold: 5000,
      symbolSize: kind === "sorting_center" ? 11 : 5,
      itemStyle: {color: colours[kind] || "#6c757d", opacity: 0.75},
      data: data.points.filter(p => p[2] === k),
    }));
    chart.setOption({
      tooltip: {trigger: "item", formatter: tooltip, confine: true},
      legend: {top: 8, left: 8, data: Object.values(data.kinds).concat(events ? [cfg.messages.openEvents] : [])},
      geo: {
        map: cfg.mapName, roam: true, zoom: cfg.focus ? cfg.focus.zoom : 1.1,
        center: cfg.focus ? cfg.focus.center : undefined,
        label: {show: false},
        itemStyle: {areaColor: "#e8eef6", borderColor: "#7a8ca3"},
        emphasis: {itemStyle: {areaColor: "#cfdcec"}, label: {color: "#0b3a6e"}},
      },
      series: series.concat(events ? [{
        id: "events", name: cfg.messages.openEvents, type: "scatter", coordinateSystem: "geo", z: 5,
        symbol: "pin", symbolSize: 18, itemStyle: {color: "#c8102e"}, data: events.points,
      }] : []).concat([{
        // District names above the sites, with a halo so they stay legible among thousands of dots.
        type: "scatter", coordinateSystem: "geo", symbolSize: 0, silent: true, z: 10, tooltip: {show: false},
        label: {show: true, formatter: "{b}", color: "#0b3a6e", fontSize: 13, fontWeight: "bold",
                textBorderColor: "#fff", textBorderWidth: 3},
        labelLayout: {hideOverlap: true},
        data: cfg.districts || [],
      }]),
    }, true);
  }

  function load(fresh) {
    const params = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", "?" + params.toString());
    if (fresh) params.set("fresh", "1");
    fetch(cfg.dataUrl + "?" + params.toString(), {credentials: "same-origin"})
      .then(r => r.json())
      .then(d => {
        data = d;
        count.textContent = cfg.messages.shown + "：" + d.count.toLocaleString();
        age.textContent = d.age_text;
        render();
      });
  }
  chart.on("click", p => {
    if (!p.data || !Array.isArray(p.data)) return;
    const url = p.seriesId === "events" ? cfg.eventUrl : cfg.siteUrl;
    window.location.href = url.replace("/0/", "/" + p.data[4] + "/");
  });
  if (eventsBox) {
    eventsBox.addEventListener("change", () => {
      if (!eventsBox.checked) { events = null; render(); return; }
      const district = new FormData(form).get("district") || "";
      fetch(cfg.eventsUrl + "&district=" + encodeURIComponent(district), {credentials: "same-origin"})
        .then(r => r.json()).then(d => { events = d; if (data) render(); });
    });
  }
  form.addEventListener("change", () => load(false));
  document.getElementById("pw-map-refresh").addEventListener("click", () => load(true));
  window.addEventListener("resize", () => chart.resize());
  load(false);
})();
