"""What a person sees of a page, measured in headless Chromium (issue 17).

`MEASURE_JS` runs in the loaded page (tests/support/cdp.py sets the viewport) and returns:
- `scrollWidth` / `innerWidth`: the page must never scroll sideways as a whole;
- every image: loaded, its rendered width and its pixel width (figures are drawn at 2 × 96
  dpi and shown at half size, so their fonts read at their point size; rendered < half the
  pixels means the browser shrank it and the fonts with it);
- text nodes holding an integer of more than 15 digits (thousands separators ignored; digits
  inside hex, base58 or bech32 words, or after a decimal point, do not count): a base-unit
  amount shown to a person instead of token units.
"""

from __future__ import annotations

MEASURE_JS = r"""
(function () {
  var out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
             scrollHeight: document.documentElement.scrollHeight, images: [], long_numbers: []};
  var im = document.images;
  for (var i = 0; i < im.length; i++) {
    out.images.push({alt: im[i].alt, complete: im[i].complete, naturalWidth: im[i].naturalWidth,
                     width: im[i].getBoundingClientRect().width});
  }
  var re = /(^|[^0-9A-Za-z.,])(\d{1,3}(?:,\d{3})+|\d+)(?![0-9A-Za-z]|[.,]\d)/g;
  var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var n;
  while ((n = walk.nextNode())) {
    var tag = n.parentNode && n.parentNode.tagName;
    if (tag === 'SCRIPT' || tag === 'STYLE') continue;
    var m, t = n.nodeValue;
    re.lastIndex = 0;
    while ((m = re.exec(t))) {
      if (m[2].replace(/,/g, '').length > 15) out.long_numbers.push(t.trim().slice(0, 160));
    }
  }
  return out;
})()
"""
