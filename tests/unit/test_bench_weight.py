"""The page-weight benchmark reads what a page links and holds it to the budget."""

from __future__ import annotations

from bench.weight import BUDGET_BYTES, PageWeight, asset_urls, report


def test_the_stylesheets_and_scripts_a_page_links_are_found_in_order() -> None:
    html = (
        '<link rel="stylesheet" href="/static/css/app.css">'
        '<link rel="icon" href="/static/img/favicon.svg">'
        '<script src="/static/vendor/htmx.js" defer></script><script>inline()</script>'
    )
    assert asset_urls(html) == ["/static/css/app.css", "/static/vendor/htmx.js"]


def test_a_page_over_the_budget_or_loading_from_elsewhere_fails() -> None:
    light = PageWeight("/", {"/a.css": 1000, "/b.js": 2000}, external=[])
    heavy = PageWeight("/", {"/a.css": BUDGET_BYTES, "/b.js": 1}, external=[])
    foreign = PageWeight("/", {"/a.css": 1000}, external=["https://cdn.example/x.js"])
    assert light.total == 3000 and report(light) == []
    assert report(heavy) == ["page weight 61441 bytes is over the budget"]
    assert report(foreign) == ["assets from another site: ['https://cdn.example/x.js']"]
