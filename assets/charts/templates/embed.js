// Draw every chart box at the width of its column (from 360 px phones to print-wide screens):
// single views take the box's width; a chart with one panel per measure wraps its panels onto as
// many rows as the width needs; legends sit below and wrap. Each drawing is measured, and drawn
// again narrower while it overflows its box. Redrawn when the width changes.
(function () {
  if (typeof vegaEmbed !== "function") return;
  var options = {renderer: "svg", actions: {export: true, source: false, compiled: false, editor: false}};

  function fit(spec, width, keepTitle, squeeze) {
    var s = JSON.parse(JSON.stringify(spec));
    var fitting = (s.usermeta && s.usermeta.fit) || {};
    var labels = fitting.labels || 60;  // room for the y axis labels and title
    s.config = s.config || {};
    if (width < 480) {                  // a phone: shorter category labels (the tooltip has them whole)
      labels = Math.min(labels, 110);
      s.config.axisY = Object.assign({}, s.config.axisY, {labelLimit: 90});
      // An axis title longer than the plot ends in "..." rather than running out of the column.
      s.config.axisX = Object.assign({}, s.config.axisX, {titleLimit: Math.max(80, width - labels - 20)});
    }
    if (!keepTitle) delete s.title;     // the page shows it as a heading
    else s.title = wrapTitle(s.title, width);
    s.config.legend = Object.assign({}, s.config.legend, {orient: "bottom", direction: "horizontal",
      columns: Math.max(1, Math.floor(width / 170)), labelLimit: 150});
    if (s.facet && s.spec) {
      var panels = fitting.panels || 3, cell = fitting.cell || 200, gap = fitting.gap || 30;
      var columns = Math.max(1, Math.min(panels, Math.floor((width - labels) / (cell + gap)) - squeeze));
      columns = Math.ceil(panels / Math.ceil(panels / columns));  // balanced rows: 2 x 2, not 3 + 1
      s.columns = columns;
      var room = Math.floor((width - labels) / columns) - gap - (columns === 1 ? 20 * squeeze : 0);
      if (room < cell) s.spec.width = Math.max(80, room);
    } else if (!s.hconcat && !s.vconcat && !s.concat) {
      s.width = Math.max(120, width - 20 * squeeze);
      s.autosize = {type: "fit-x", contains: "padding"};
    }
    return s;
  }

  // A chart's own title (its file outside the page) in lines that fit the width: Vega never wraps.
  function wrapLines(text, chars) {
    if (typeof text !== "string") return text;
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : text;
  }

  function wrapTitle(title, width) {
    if (!title) return title;
    var t = typeof title === "string" ? {text: title} : Object.assign({}, title);
    t.text = wrapLines(t.text, Math.max(20, Math.floor(width / 10.5)));  // ~10 px a bold character at 16 px
    if (t.subtitle) t.subtitle = wrapLines(t.subtitle, Math.max(24, Math.floor(width / 6.5)));  // at 12 px
    return t;
  }

  function draw(box, squeeze) {
    var source = box.querySelector("script.vl-spec");
    var live = box.querySelector(".chart-live");
    if (!source || !live) return;
    var width = Math.floor(box.getBoundingClientRect().width);  // the live view is hidden until drawn
    if (!squeeze && width === Number(box.dataset.drawnWidth)) return;
    box.dataset.drawnWidth = String(width);
    delete box.dataset.fitted;
    var spec = fit(JSON.parse(source.textContent), width, box.hasAttribute("data-keep-title"), squeeze);
    vegaEmbed(live, spec, options)
      .then(function () {
        box.classList.add("live");  // shown before measured: a hidden drawing has no width
        var svg = live.querySelector("svg");
        if (svg && svg.getBoundingClientRect().width > width + 1 && squeeze < 6) return draw(box, squeeze + 1);
        box.dataset.fitted = String(width);
      })
      .catch(function (error) { console.error(box.dataset.chart, error); });
  }

  var boxes = Array.prototype.slice.call(document.querySelectorAll(".chart-box"));
  boxes.forEach(function (box) { draw(box, 0); });
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { boxes.forEach(function (box) { draw(box, 0); }); }, 150);
  });
})();
