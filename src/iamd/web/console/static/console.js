// iamd console: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  function qsa(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  document.addEventListener("DOMContentLoaded", function () {
    qsa("[data-toggle-nav]").forEach(function (b) {
      b.addEventListener("click", function () { document.getElementById("sidebar").classList.toggle("open"); });
    });
    // Sign-in: the IAM user name only for IAM users.
    qsa("[data-signin-kind]").forEach(function (r) {
      r.addEventListener("change", function () {
        qsa(".iam-only").forEach(function (el) { el.hidden = r.value === "root" && r.checked; });
      });
    });
    // Confirmations before destructive actions.
    qsa("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) { if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); } });
    });
    // Tabs: show one panel, keep the choice in the URL's fragment.
    qsa(".tabs").forEach(function (tabs) {
      var links = qsa("a[data-tab]", tabs);
      function show(name) {
        links.forEach(function (a) { a.classList.toggle("active", a.dataset.tab === name); });
        qsa(".tab-panel").forEach(function (p) { p.hidden = p.id !== "tab-" + name; });
      }
      links.forEach(function (a) {
        a.addEventListener("click", function (e) { e.preventDefault(); show(a.dataset.tab); history.replaceState(null, "", "#" + a.dataset.tab); });
      });
      var wanted = (location.hash || "").slice(1);
      show(links.some(function (a) { return a.dataset.tab === wanted; }) ? wanted : links[0].dataset.tab);
    });
    // Wizard: show the fields of the chosen option only.
    qsa("[data-show-when]").forEach(function (el) {
      var parts = el.dataset.showWhen.split("="), inputs = qsa("[name='" + parts[0] + "']");
      function update() {
        var on = inputs.some(function (i) { return (i.type === "checkbox" || i.type === "radio") ? (i.checked && i.value === parts[1]) : i.value === parts[1]; });
        el.hidden = !on;
      }
      inputs.forEach(function (i) { i.addEventListener("change", update); });
      update();
    });
    // Filter a table as one types.
    qsa("[data-filter-table]").forEach(function (input) {
      var table = document.getElementById(input.dataset.filterTable);
      input.addEventListener("input", function () {
        var q = input.value.toLowerCase();
        qsa("tbody tr", table).forEach(function (tr) { tr.hidden = q && tr.textContent.toLowerCase().indexOf(q) < 0; });
      });
    });
    qsa(".editor").forEach(setupEditor);
  });

  // The JSON policy editor: line numbers, and the server's checks (iamd.policy.check_policy) as one types.
  function setupEditor(editor) {
    var area = editor.querySelector("textarea"), gutter = editor.querySelector(".gutter");
    var list = document.getElementById(editor.dataset.problems), timer = null;
    var csrf = editor.closest("form").querySelector("[name=csrf_token]").value;
    var bad = {};
    function numbers() {
      var n = area.value.split("\n").length, out = [];
      for (var i = 1; i <= n; i++) { out.push(bad[i] ? '<span class="bad">' + i + "</span>" : String(i)); }
      gutter.innerHTML = out.join("\n");
      gutter.scrollTop = area.scrollTop;
    }
    function check() {
      var body = new URLSearchParams({ csrf_token: csrf, document: area.value, kind: editor.dataset.kind || "identity" });
      fetch("/console/policies/validate", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          bad = {};
          list.innerHTML = "";
          data.problems.forEach(function (p) {
            bad[p.line] = true;
            var li = document.createElement("li");
            li.textContent = "Ln " + p.line + ", Col " + p.column + ": " + p.message;
            li.dataset.line = p.line;
            li.addEventListener("click", function () { goTo(p.line); });
            list.appendChild(li);
          });
          (data.warnings || []).forEach(function (p) {  // an undeclared action of a registered service
            var li = document.createElement("li");
            li.className = "warning";
            li.textContent = "Ln " + p.line + ", Col " + p.column + ": " + p.message;
            li.addEventListener("click", function () { goTo(p.line); });
            list.appendChild(li);
          });
          numbers();
        }).catch(function () {});
    }
    // iamd's own and the registered services' actions, offered below the editor: a click inserts one.
    function offer() {
      fetch("/console/policies/actions", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var box = document.createElement("p");
          box.className = "actions-offered small";
          box.dataset.testid = "offered-actions";
          box.appendChild(document.createTextNode("Your services' actions: "));
          data.actions.forEach(function (name) {
            var chip = document.createElement("button");
            chip.type = "button"; chip.className = "chip"; chip.textContent = name;
            chip.addEventListener("click", function () {
              var s = area.selectionStart;
              area.setRangeText('"' + name + '"', s, area.selectionEnd, "end");
              area.focus(); numbers(); clearTimeout(timer); timer = setTimeout(check, 400);
            });
            box.appendChild(chip);
          });
          editor.parentNode.insertBefore(box, list);
        }).catch(function () {});
    }
    offer();
    function goTo(line) {
      var lines = area.value.split("\n"), pos = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) { pos += lines[i].length + 1; }
      area.focus(); area.setSelectionRange(pos, pos + (lines[line - 1] || "").length);
    }
    qsa("li[data-line]", list).forEach(function (li) { bad[li.dataset.line] = true; li.addEventListener("click", function () { goTo(+li.dataset.line); }); });
    area.addEventListener("input", function () { numbers(); clearTimeout(timer); timer = setTimeout(check, 400); });
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    area.addEventListener("keydown", function (e) {
      if (e.key === "Tab") { e.preventDefault(); var s = area.selectionStart; area.setRangeText("  ", s, area.selectionEnd, "end"); numbers(); }
    });
    numbers();
  }
})();
document.addEventListener("DOMContentLoaded", function () {
  var add = document.querySelector("[data-add-user-row]");
  if (!add) { return; }
  add.addEventListener("click", function () {
    var next = document.querySelector("[data-user-row][hidden]");
    if (next) { next.hidden = false; next.querySelector("input").focus(); }
    if (!document.querySelector("[data-user-row][hidden]")) { add.hidden = true; }
  });
});
