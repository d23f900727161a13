// The small map on an event page: the district boundaries and the event's position.
(function () {
  const cfgEl = document.getElementById("pw-event-map-config");
  const el = document.getElementById("pw-event-map");
  if (!cfgEl || !el || !window.echarts) return;
  const cfg = JSON.parse(cfgEl.textContent);
  if (!cfg.point || !cfg.point[0]) return;
  echarts.init(el).setOption({
    geo: {map: cfg.mapName, roam: true, center: cfg.point, zoom: 6,
          itemStyle: {areaColor: "#e8eef6", borderColor: "#7a8ca3"}, label: {show: true, fontSize: 11}},
    series: [{type: "effectScatter", coordinateSystem: "geo", data: [cfg.point], symbolSize: 12,
              itemStyle: {color: "#c8102e"}}],
  });
})();
