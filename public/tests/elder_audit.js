// The elder-friendly rules measured in the page (MIIT 适老化 rules, WCAG 2.1 AA): every visible
// text at least 18 px, line height at least 1.3, contrast at least 4.5:1 against the nearest
// background; every control at least 44 × 44 px. Returns the list of what breaks a rule.
() => {
  const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (rgb) => { const c = rgb.map(linear); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const parse = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.right > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!visible(el) || el.closest("svg")) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    const line = s.lineHeight === "normal" ? size * 1.2 : parseFloat(s.lineHeight);
    const fg = luminance(parse(s.color).slice(0, 3));
    const bg = luminance(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const name = `${el.tagName}.${el.className} «${el.textContent.trim().slice(0, 12)}»`;
    if (size < 18) problems.push(`size ${size} ${name}`);
    if (line < 1.3 * size - 0.5) problems.push(`line ${line}/${size} ${name}`);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} ${name}`);
  }
  for (const el of document.querySelectorAll("a, button, select, input:not([type=hidden]), summary")) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 44 || r.width < 44) {
      problems.push(`target ${Math.round(r.width)}x${Math.round(r.height)} ${el.outerHTML.slice(0, 60)}`);
    }
  }
  return problems;
}
