"""Page weight: the CSS and JavaScript a page loads, gzip-compressed as they travel.

The budget is the product's: at most 60 KB of CSS and JavaScript per page, no request leaving
the site. The page's own HTML is not counted (it is measured by the load benchmark).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

BUDGET_BYTES = 60 * 1024
_ASSET = re.compile(
    r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"', re.IGNORECASE
)


@dataclass(frozen=True)
class PageWeight:
    path: str
    assets: dict[str, int]  # URL -> compressed bytes
    external: list[str]  # assets that would be fetched from another site

    @property
    def total(self) -> int:
        return sum(self.assets.values())


def asset_urls(html: str) -> list[str]:
    """The stylesheets and scripts a page links, in document order."""
    return [stylesheet or script for stylesheet, script in _ASSET.findall(html)]


def measure(base_url: str, path: str = "/") -> PageWeight:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        page = client.get(path)
        page.raise_for_status()
        assets: dict[str, int] = {}
        external = []
        for url in asset_urls(page.text):
            absolute = urljoin(f"{base_url}{path}", url)
            if urlsplit(absolute).netloc != urlsplit(base_url).netloc:
                external.append(url)
                continue
            body = client.get(absolute)
            body.raise_for_status()
            assets[url] = len(gzip.compress(body.content, compresslevel=6))
    return PageWeight(path=path, assets=assets, external=external)


def report(weight: PageWeight) -> list[str]:
    """Print the figure and its ratio to the budget; the reasons it fails the budget, if any."""
    for url, size in weight.assets.items():
        print(f"  {url}: {size / 1024:.1f} KB gzip")
    print(
        f"page weight of {weight.path}: {weight.total / 1024:.1f} KB of CSS + JS (gzip), "
        f"{weight.total / BUDGET_BYTES:.2f}x the {BUDGET_BYTES // 1024} KB budget"
    )
    problems = []
    if weight.total > BUDGET_BYTES:
        problems.append(f"page weight {weight.total} bytes is over the budget")
    if weight.external:
        problems.append(f"assets from another site: {weight.external}")
    return problems
