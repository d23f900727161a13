// The wall screen refreshes its figures in place (no reload), keeping the last ones if a refresh fails.
(function () {
  const cfg = JSON.parse(document.getElementById("pw-wall-config").textContent);
  const msg = JSON.parse(document.getElementById("pw-wall-messages").textContent);
  const $ = id => document.getElementById(id);
  const mapEl = $("wall-map");
  const chart = window.echarts && mapEl ? echarts.init(mapEl) : null;

  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return (v || 0).toLocaleString("zh-CN"); }
  function text(node, value) { node.textContent = value; }

  function tick() {
    const now = new Date();
    text($("wall-clock"), now.toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false}));
  }

  function render(d) {
    text($("k-reported"), num(d.today.reported));
    text($("k-closed"), num(d.today.closed));
    text($("k-overdue"), num(d.today.overdue));
    text($("k-escalated"), num(d.today.escalated));
    text($("k-year"), d.year.year);
    const none = d.year.district_closure_share === null;
    text($("k-share"), none ? msg.noneClosed : pct(d.year.district_closure_share));
    $("k-share").classList.toggle("none", none);
    text($("k-y-reported"), num(d.year.reported));
    text($("k-y-open"), num(d.year.open));
    text($("k-y-ontime"), pct(d.year.on_time_rectification_rate));
    text($("wall-updated"), msg.updated + " " + d.generated_at.slice(11));

    const list = $("wall-districts");
    list.replaceChildren();
    const max = Math.max(1, ...d.districts.map(x => x.open));
    d.districts.slice().sort((a, b) => b.open - a.open).forEach(x => {
      const row = document.createElement("div");
      row.className = "wall-district";
      const name = document.createElement("span");
      name.textContent = x.name;
      const bar = document.createElement("div");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = (100 * x.open / max).toFixed(1) + "%";
      bar.appendChild(fill);
      const n = document.createElement("b");
      n.textContent = num(x.open);
      row.append(name, bar, n);
      list.appendChild(row);
    });

    const ticker = $("wall-ticker");
    ticker.replaceChildren();
    if (!d.ticker.length) {
      const li = document.createElement("li");
      li.className = "wall-empty";
      li.textContent = msg.quiet;
      ticker.appendChild(li);
    }
    d.ticker.slice(0, 8).forEach(item => {
      const li = document.createElement("li");
      const t = document.createElement("span");
      t.className = "t";
      t.textContent = item.time;
      const tag = document.createElement("span");
      tag.className = "tag " + item.kind;
      tag.textContent = item.kind === "report" ? msg.report : msg.escalate;
      const txt = document.createElement("span");
      txt.className = "txt";
      txt.textContent = item.number + " · " + item.text;
      li.append(t, tag, txt);
      ticker.appendChild(li);
    });

    if (chart && cfg.mapName && echarts.getMap(cfg.mapName)) {
      const max2 = Math.max(1, ...d.districts.map(x => x.open));
      const placed = d.districts.filter(x => x.point);
      const midLng = placed.reduce((sum, x) => sum + x.point[0], 0) / Math.max(1, placed.length);
      // Area colour by open events; names and counts drawn at each district's centre, moved apart where
      // small neighbouring districts would overlap.
      chart.setOption({
        animation: false,
        visualMap: {show: false, min: 0, max: max2, seriesIndex: 0,
                    inRange: {color: ["#15315e", "#2f7bf5", "#ffb020", "#ff4d4f"]}},
        geo: {map: cfg.mapName, roam: false, zoom: 1.12, silent: true,
              itemStyle: {areaColor: "#15315e", borderColor: "#6fa8ff", borderWidth: 1.5}, label: {show: false}},
        series: [
          {type: "map", geoIndex: 0, data: d.districts.map(x => ({name: x.name, value: x.open}))},
          {type: "scatter", coordinateSystem: "geo", symbolSize: 10, itemStyle: {color: "#fff"}, silent: true,
           label: {show: true, position: "right", color: "#fff", fontSize: 22, fontWeight: "bold",
                   textBorderColor: "#061127", textBorderWidth: 4, formatter: p => p.name + " " + p.data.open},
           labelLayout: {moveOverlap: "shiftY"},
           // West of the middle the label goes left, east of it right: close neighbours face away from each other.
           data: placed.map(x => ({name: x.name, value: x.point, open: x.open,
                                   label: {position: x.point[0] < midLng ? "left" : "right"}}))},
        ],
      });
    }
  }

  function refresh() {
    fetch(cfg.dataUrl, {credentials: "same-origin", cache: "no-store"})
      .then(r => { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(d => { render(d); $("wall-error").hidden = true; document.body.dataset.ready = "1"; })
      .catch(() => { $("wall-error").hidden = false; });
  }
  tick();
  setInterval(tick, 1000);
  refresh();
  setInterval(refresh, cfg.refreshSeconds * 1000);
  window.addEventListener("resize", () => chart && chart.resize());
})();
