/* Translates a page whose text MNSS does not write (JupyterHub's admin bundle, nbgrader's
 * formgrader) from a catalogue while Chinese is chosen (<html lang>), and puts the page's own
 * text back when English is. Text that React or Backbone writes later is translated as it
 * appears; text under the catalogue's `skip` selector (a learner's notebook) is never touched.
 *
 * catalogue = {exact: {English: {zh, en?}}, patterns: [{en: regexp, zh: replacement}], skip: selector}
 */
window.mnssTranslatePage = function (root, catalogue) {
  var patterns = catalogue.patterns.map(function (p) { return [new RegExp(p.en), p]; });
  var ATTRIBUTES = ["placeholder", "title", "value"];
  var source = new WeakMap();  // text node or element -> the page's own English, and what is shown

  function translated(english) {
    var en = document.documentElement.lang === "en";
    var text = english.trim();
    if (!text) { return null; }
    var entry = catalogue.exact[text];
    var result = entry ? (en ? entry.en || text : entry.zh) : null;
    for (var i = 0; !entry && i < patterns.length; i++) {
      if (patterns[i][0].test(text)) {
        result = en ? text : text.replace(patterns[i][0], patterns[i][1].zh);
        break;
      }
    }
    return result === null ? null : english.replace(text, result);
  }
  function skipped(node) {
    var el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return !el || (catalogue.skip && el.closest(catalogue.skip) !== null);
  }
  function shown(known, now) {
    if (!known || now !== known.shown) { known = {english: now}; }  // the page wrote anew
    var out = translated(known.english);
    known.shown = out === null ? known.english : out;
    return known;
  }
  function textNode(node) {
    if (skipped(node)) { return; }
    var known = shown(source.get(node), node.data);
    source.set(node, known);
    if (node.data !== known.shown) { node.data = known.shown; }
  }
  function element(el) {
    if (skipped(el)) { return; }
    var known = source.get(el) || {};
    ATTRIBUTES.forEach(function (name) {
      var now = el.getAttribute(name);
      if (now === null || (name === "value" && !/^(button|submit)$/.test(el.type || ""))) { return; }
      known[name] = shown(known[name], now);
      if (now !== known[name].shown) { el.setAttribute(name, known[name].shown); }
    });
    source.set(el, known);
  }
  function visit(node) {
    if (node.nodeType === Node.TEXT_NODE) { textNode(node); return; }
    if (node.nodeType !== Node.ELEMENT_NODE) { return; }
    element(node);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.nodeType === Node.TEXT_NODE) { textNode(n); } else { element(n); }
    }
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (c) { if (c.type === "childList") { c.addedNodes.forEach(visit); } else { visit(c.target); } });
  }).observe(root, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES});
  new MutationObserver(function () { visit(root); })
    .observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
  visit(root);
};
