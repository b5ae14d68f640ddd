"""Reading the error summary of a refused form's page (templates/_error_summary.html) in tests."""

import re

SUMMARY = re.compile(r'<div class="error-summary" role="alert" tabindex="-1"[^>]*>(.*?)</div>', re.S)


def summary_at_top(html: str) -> bool:
    """The summary is the first thing in <main>."""
    return re.search(r'<main id="main">\s*<div class="error-summary"', html) is not None


def summary_heading(html: str) -> str:
    found = SUMMARY.search(html)
    return re.search(r"<h2[^>]*>(.*?)</h2>", found.group(1)).group(1) if found else ""


def summary_links(html: str) -> list[tuple[str, str]]:
    """The summary's (link target, text) pairs; an error without a field has the target ""."""
    found = SUMMARY.search(html)
    if not found:
        return []
    items = re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    return [
        (link.group(1), link.group(2)) if (link := re.fullmatch(r'<a href="#([^"]*)">(.*)</a>', item)) else ("", item)
        for item in items
    ]


def autofocused(html: str) -> list[str]:
    """The id of every element with the autofocus attribute ("error-summary" for the summary itself)."""
    tags = re.findall(r"<(?:input|select|textarea|div)\b[^>]*\sautofocus\b[^>]*>", html)
    return [
        "error-summary" if 'class="error-summary"' in tag else (re.search(r'\sid="([^"]*)"', tag) or ["", ""])[1]
        for tag in tags
    ]


def element_ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]*)"', html))
