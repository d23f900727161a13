// The event map: events as points coloured by state or category, or as a density layer; click opens one.
(function () {
  const cfg = JSON.parse(document.getElementById("pw-event-map-config").textContent);
  const el = document.getElementById("pw-event-map");
  if (!window.echarts || !el) return;
  const esc = echarts.format.encodeHTML;
  const form = document.getElementById("pw-event-filters");
  const stateSelect = document.getElementById("pw-map-state");
  const count = document.getElementById("pw-map-count");
  const chart = echarts.init(el);
  const palette = ["#0b6ec5", "#3d8bfd", "#d9822b", "#8a5cd1", "#c8102e", "#842029", "#198754", "#495057", "#adb5bd",
                   "#ced4da", "#20c997", "#6f42c1", "#fd7e14", "#0b3a6e", "#2a9d5c", "#e83e8c", "#6c757d", "#17a2b8"];
  let data = null;
  const params0 = new URLSearchParams(window.location.search);
  if (params0.has("state")) stateSelect.value = params0.get("state");
  if (params0.get("mode")) {
    const radio = document.querySelector('input[name="mode"][value="' + CSS.escape(params0.get("mode")) + '"]');
    if (radio) radio.checked = true;
  }

  function mode() { return document.querySelector('input[name="mode"]:checked').value; }

  function render() {
    const m = mode();
    const geo = {map: cfg.mapName, roam: true, zoom: 1.1, label: {show: false},
                 itemStyle: {areaColor: "#e8eef6", borderColor: "#7a8ca3"},
                 emphasis: {itemStyle: {areaColor: "#cfdcec"}}};
    let series;
    let extra = {};
    if (m === "heat") {
      series = [{type: "heatmap", coordinateSystem: "geo", pointSize: 6, blurSize: 12,
                 data: data.points.map(p => [p[0], p[1], 1])}];
      extra = {visualMap: {show: false, min: 0, max: 5, calculable: false,
                           inRange: {color: ["#4575b4", "#fee090", "#f46d43", "#a50026"]}}};
    } else {
      const names = m === "state" ? data.states : data.categories;
      const index = m === "state" ? 2 : 3;
      series = names.map((name, i) => ({
        name: name, type: "scatter", coordinateSystem: "geo", symbolSize: 7, large: data.points.length > 5000,
        itemStyle: {color: m === "state" ? data.stateColours[i] : palette[i % palette.length], opacity: 0.85},
        data: data.points.filter(p => p[index] === i),
      })).filter(s => s.data.length);
      // Beside the map on a wide screen, under it on a phone.
      extra = {legend: el.clientWidth < 600
        ? {type: "scroll", orient: "horizontal", left: 4, right: 4, bottom: 4}
        : {type: "scroll", orient: "vertical", right: 4, top: 8, bottom: 8}};
    }
    // District names above the points, turned away from close neighbours.
    const mid = (cfg.districts || []).reduce((sum, d) => sum + d.value[0], 0) / Math.max(1, (cfg.districts || []).length);
    series = series.concat([{
      type: "scatter", coordinateSystem: "geo", symbolSize: 0, silent: true, z: 10, tooltip: {show: false},
      label: {show: true, formatter: "{b}", color: "#0b3a6e", fontSize: 13, fontWeight: "bold",
              textBorderColor: "#fff", textBorderWidth: 3},
      labelLayout: {hideOverlap: true},
      data: (cfg.districts || []).map(d => ({name: d.name, value: d.value,
                                            label: {position: d.value[0] < mid ? "left" : "right"}})),
    }]);
    if (extra.legend) extra.legend.data = series.filter(s => s.name).map(s => s.name);
    chart.setOption(Object.assign({
      animation: false,
      tooltip: {trigger: "item", confine: true, formatter: p => Array.isArray(p.data) && p.data.length > 4
        ? esc(data.states[p.data[2]]) + " · " + esc(data.categories[p.data[3]]) : esc(p.name || "")},
      geo: geo, series: series,
    }, extra), true);
  }

  function load() {
    const params = new URLSearchParams(new FormData(form));
    params.set("mode", mode());
    history.replaceState(null, "", "?" + params.toString());
    fetch(cfg.dataUrl + "?" + params.toString(), {credentials: "same-origin"})
      .then(r => r.json())
      .then(d => {
        data = d;
        count.textContent = cfg.messages.shown + "：" + d.count.toLocaleString() + (d.capped ? "（" + cfg.messages.capped + "）" : "");
        render();
        el.dataset.ready = "1";
      });
  }
  chart.on("click", p => {
    if (Array.isArray(p.data) && p.data.length > 4) window.location.href = cfg.eventUrl.replace("/0/", "/" + p.data[4] + "/");
  });
  form.addEventListener("submit", e => { e.preventDefault(); load(); });
  form.addEventListener("change", load);
  stateSelect.addEventListener("change", load);
  document.querySelectorAll('input[name="mode"]').forEach(r => r.addEventListener("change", () => { if (data) render(); load(); }));
  window.addEventListener("resize", () => chart.resize());
  load();
})();
