// Draw every chart of the page from its option, which the server wrote as JSON next to it.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var data = document.getElementById(box.getAttribute("data-chart"));
    if (!data) { return; }
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(JSON.parse(data.textContent));
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
