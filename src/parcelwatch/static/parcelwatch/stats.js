// Statistics charts: every element opens the event list of exactly the events it counts.
(function () {
  const node = document.getElementById("pw-stats-data");
  if (!node || !window.echarts) return;
  const data = JSON.parse(node.textContent);
  const esc = echarts.format.encodeHTML;
  const charts = [];
  const palette = ["#0b3a6e", "#0b6ec5", "#2a9d5c", "#d9822b", "#8a5cd1", "#c8102e", "#3d8bfd", "#20c997",
                   "#6f42c1", "#fd7e14", "#6c757d", "#198754"];

  function make(id, option, rows) {
    const el = document.getElementById(id);
    if (!el) return null;
    const chart = echarts.init(el);
    chart.setOption(Object.assign({color: palette, animation: false}, option));
    chart.on("click", p => {
      const row = rows && rows[p.dataIndex];
      let url = row && (row.url || row);
      if (typeof url !== "string" || !url) return;
      if (id === "chart-trend" && p.seriesIndex === 1) url += "&state=closed";
      window.location.href = url;
    });
    el.dataset.ready = "1";
    charts.push(chart);
    window.pwCharts = window.pwCharts || {};
    window.pwCharts[id] = chart;
    return chart;
  }

  function tip(p) {
    return esc(p.name) + "：" + esc(String(p.value)) + (p.percent !== undefined ? "（" + p.percent + "%）" : "");
  }

  function bars(id, rows, horizontal) {
    const labels = rows.map(r => r.label);
    const values = rows.map(r => r.value);
    const category = {type: "category", data: labels, axisLabel: {interval: 0, width: 110, overflow: "truncate"}};
    const value = {type: "value", minInterval: 1};
    make(id, {
      tooltip: {trigger: "item", formatter: tip, confine: true},
      grid: horizontal ? {left: 8, right: 24, top: 8, bottom: 8, containLabel: true}
                       : {left: 8, right: 8, top: 16, bottom: 8, containLabel: true},
      xAxis: horizontal ? value : Object.assign({}, category, {axisLabel: {interval: 0, rotate: labels.length > 6 ? 30 : 0}}),
      yAxis: horizontal ? Object.assign({}, category, {inverse: true}) : value,
      series: [{type: "bar", data: values, cursor: "pointer", itemStyle: {color: "#0b6ec5"},
                label: {show: true, position: horizontal ? "right" : "top", fontSize: 11}}],
    }, rows);
  }

  make("chart-category", {
    tooltip: {trigger: "item", formatter: tip, confine: true},
    series: [{type: "pie", radius: ["32%", "58%"], cursor: "pointer", minShowLabelAngle: 12,
              labelLine: {length: 6, length2: 6},
              label: {fontSize: 11, overflow: "none", formatter: p => p.name.split(" ")[0] + "\n" + p.percent + "%"},
              data: data.category.map(r => ({name: r.label, value: r.value}))}],
  }, data.category);

  bars("chart-district", data.district, true);
  bars("chart-brand", data.brand, false);
  bars("chart-enterprise", data.enterprise.slice(0, 10), true);
  bars("chart-state", data.state, true);

  if (data.mapName && echarts.getMap(data.mapName)) {
    const max = Math.max(1, ...data.district.map(r => r.value));
    make("chart-district-map", {
      tooltip: {trigger: "item", formatter: p => esc(p.name) + "：" + (p.value || 0), confine: true},
      visualMap: {min: 0, max: max, left: 4, bottom: 4, itemHeight: 80, text: ["", ""], calculable: false,
                  inRange: {color: ["#e8eef6", "#0b3a6e"]}},
      series: [{type: "map", map: data.mapName, roam: false, cursor: "pointer",
                label: {show: true, fontSize: 11, color: "#fff", textBorderColor: "#0b3a6e", textBorderWidth: 2},
                emphasis: {label: {color: "#fff"}},
                data: data.district.map(r => ({name: r.label, value: r.value}))}],
    }, null).on("click", p => {
      const row = data.district.find(r => r.label === p.name);
      if (row && row.url) window.location.href = row.url;
    });
  }

  const trend = data.trend;
  make("chart-trend", {
    tooltip: {trigger: "axis", confine: true},
    legend: {top: 0, data: [data.messages.reported, data.messages.closed]},
    grid: {left: 8, right: 16, top: 32, bottom: 8, containLabel: true},
    xAxis: {type: "category", data: trend.labels},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: data.messages.reported, type: "line", data: trend.reported, smooth: true, cursor: "pointer", symbolSize: 7},
      {name: data.messages.closed, type: "line", data: trend.closed, smooth: true, cursor: "pointer", symbolSize: 7},
    ],
  }, trend.urls);

  window.addEventListener("resize", () => charts.forEach(c => c.resize()));
})();
