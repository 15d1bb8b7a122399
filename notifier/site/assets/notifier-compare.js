// policy-notifier: compare two releases of a policy in the browser, with no server.
// No inline script, no eval, and policy text only ever inserted as text (never as HTML), so the
// page works under a strict Content-Security-Policy.
(function () {
  "use strict";
  var MAX_CELLS = 4000000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function load(version) {
    var url = "../" + encodeURIComponent(version) + "/text.json";
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("could not load version " + version);
      return response.json();
    });
  }

  // Longest common subsequence as difflib-like opcodes: [tag, i1, i2, j1, j2].
  function opcodes(a, b) {
    var n = a.length, m = b.length;
    if (n * m > MAX_CELLS) return [["replace", 0, n, 0, m]];
    var width = m + 1, table = new Uint32Array((n + 1) * width);
    for (var i = n - 1; i >= 0; i--) {
      for (var j = m - 1; j >= 0; j--) {
        table[i * width + j] = a[i] === b[j] ? table[(i + 1) * width + j + 1] + 1
          : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
      }
    }
    var ops = [], x = 0, y = 0;
    function push(tag, i1, i2, j1, j2) {
      var last = ops[ops.length - 1];
      if (last && last[0] !== "equal" && tag !== "equal") {
        last[0] = "replace"; last[2] = i2; last[4] = j2;
      } else if (last && last[0] === tag) {
        last[2] = i2; last[4] = j2;
      } else {
        ops.push([tag, i1, i2, j1, j2]);
      }
    }
    while (x < n || y < m) {
      if (x < n && y < m && a[x] === b[y]) { push("equal", x, x + 1, y, y + 1); x++; y++; }
      else if (y < m && (x === n || table[x * width + y + 1] >= table[(x + 1) * width + y])) {
        push("insert", x, x, y, y + 1); y++;
      } else { push("delete", x, x + 1, y, y); x++; }
    }
    return ops;
  }

  function words(text) { return text.split(/(\s+)/).filter(function (w) { return w !== ""; }); }

  // "We explain" -> "This policy explains" reads better as one replacement than as changes
  // separated by an unchanged space: merge runs split only by whitespace.
  function mergeAcrossSpaces(ops, a) {
    var merged = [];
    ops.forEach(function (op) {
      var prev = merged[merged.length - 1], before = merged[merged.length - 2];
      var onlySpace = prev && prev[0] === "equal" && /^\s*$/.test(a.slice(prev[1], prev[2]).join(""));
      if (op[0] !== "equal" && onlySpace && before && before[0] !== "equal") {
        merged.pop();
        before[0] = "replace"; before[2] = op[2]; before[4] = op[4];
      } else {
        merged.push(op.slice());
      }
    });
    return merged;
  }

  function wordDiff(container, oldText, newText) {
    var a = words(oldText), b = words(newText);
    mergeAcrossSpaces(opcodes(a, b), a).forEach(function (op) {
      var removed = a.slice(op[1], op[2]).join(""), added = b.slice(op[3], op[4]).join("");
      if (op[0] === "equal") { container.appendChild(document.createTextNode(added)); return; }
      if (removed) container.appendChild(el("del", "", removed));
      if (added) container.appendChild(el("ins", "", added));
    });
  }

  function blockNode(block, state) {
    return el(block.kind === "code" ? "pre" : "p", block.kind + " " + state);
  }

  function renderBlocks(section, oldBlocks, newBlocks) {
    var changed = false;
    var ops = opcodes(oldBlocks.map(function (b) { return b.text; }),
                      newBlocks.map(function (b) { return b.text; }));
    ops.forEach(function (op) {
      var olds = oldBlocks.slice(op[1], op[2]), news = newBlocks.slice(op[3], op[4]);
      if (op[0] === "equal") {
        news.forEach(function (b) { section.appendChild(blockNode(b, "unchanged")).textContent = b.text; });
        return;
      }
      changed = true;
      var count = Math.max(olds.length, news.length);
      for (var k = 0; k < count; k++) {
        var o = olds[k], w = news[k];
        var node = blockNode(w || o, w && o ? "changed" : (w ? "added" : "removed"));
        wordDiff(node, o ? o.text : "", w ? w.text : "");
        section.appendChild(node);
      }
    });
    return changed;
  }

  function render(result, older, newer) {
    result.textContent = "";
    var oldKeys = older.sections.map(function (s) { return s.key; });
    var newKeys = newer.sections.map(function (s) { return s.key; });
    var redline = el("div", "redline");
    var changes = 0;
    opcodes(oldKeys, newKeys).forEach(function (op) {
      var olds = older.sections.slice(op[1], op[2]), news = newer.sections.slice(op[3], op[4]);
      var count = Math.max(olds.length, news.length);
      for (var k = 0; k < count; k++) {
        var o = olds[k], w = news[k]; // one of them is missing for an insert or a delete
        var section = el("section", "redline-section");
        var heading = el("h3");
        if (o && w && o.heading !== w.heading) wordDiff(heading, o.heading, w.heading);
        else if (w && !o) heading.appendChild(el("ins", "", w.heading || "(start)"));
        else if (o && !w) heading.appendChild(el("del", "", o.heading || "(start)"));
        else heading.textContent = (w || o).heading || "(start)";
        section.appendChild(heading);
        var changed = renderBlocks(section, o ? o.blocks : [], w ? w.blocks : []);
        changed = changed || !o || !w || o.heading !== w.heading;
        section.className += changed ? " changed" : " unchanged";
        if (changed) changes++;
        redline.appendChild(section);
      }
    });
    var summary = el("p", "compare-summary",
      "Version " + older.version + " compared with " + newer.version + ": " + changes +
      (changes === 1 ? " section changed." : " sections changed."));
    var toggle = el("input", "only-changed-toggle");
    toggle.type = "checkbox"; toggle.id = "compare-only-changed"; toggle.checked = true;
    var label = el("label", "only-changed-label", "Show only the changed sections");
    label.htmlFor = "compare-only-changed";
    result.appendChild(summary);
    result.appendChild(toggle);
    result.appendChild(label);
    result.appendChild(redline);
  }

  function attach(root) {
    var oldSelect = root.querySelector("select[name=old]");
    var newSelect = root.querySelector("select[name=new]");
    var result = root.querySelector(".compare-result");
    var latest = 0;
    function run() {
      var ticket = ++latest; // a slower earlier answer must not overwrite a newer one
      result.textContent = "Comparing…";
      Promise.all([load(oldSelect.value), load(newSelect.value)]).then(function (pair) {
        if (ticket === latest) render(result, pair[0], pair[1]);
      }).catch(function (error) {
        if (ticket !== latest) return;
        result.textContent = "";
        result.appendChild(el("p", "compare-error", String(error.message || error)));
      });
    }
    root.querySelector(".compare-run").addEventListener("click", run);
    oldSelect.addEventListener("change", run);
    newSelect.addEventListener("change", run);
    run();
  }

  function start() {
    var roots = document.querySelectorAll("[data-notifier-compare]");
    for (var i = 0; i < roots.length; i++) attach(roots[i]);
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(start); // Material's instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
