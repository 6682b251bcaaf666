"""The README and docs/: every relative link resolves, and docs/settings.md lists every setting.

Links are checked as GitHub renders them: a path relative to the page, and an
``#anchor`` must name a heading of the target page by its GitHub slug.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from app import settings as olf_settings
from customer_service import settings as service_settings
from orders_service import settings as orders_settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SETTINGS_PAGE = ROOT / "docs" / "settings.md"

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
#: ``[text](target)`` and ``![alt](target)``, with an optional "title".
_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def _prose(markdown: str) -> str:
    """``markdown`` without fenced code blocks, where nothing is a link or a heading."""
    return _FENCE.sub("", markdown)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text, lower case, punctuation dropped."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of ``page``; a repeated heading gets ``-1``, ``-2``... as on GitHub."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for match in _HEADING.finditer(_prose(page.read_text())):
        slug = github_slug(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links(page: Path) -> list[str]:
    """The link targets of ``page`` that point into this repository."""
    text = _INLINE_CODE.sub("", _prose(page.read_text()))
    return [
        target
        for target in _LINK.findall(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:...
    ]


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file, or heading, does not exist."""
    broken = []
    for target in relative_links(page):
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_a_missing_file_or_heading_is_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# What `make run` shows\n"
        "## The dashboard's screenshots\n"
        "[self](#what-make-run-shows) [here](page.md#the-dashboards-screenshots)"
        " [web](https://example.com/gone.md) `[code](gone.md)`\n"
        "```\n[fenced](gone.md)\n# not a heading\n```\n"
        "[gone](gone.md) [no heading](page.md#not-a-heading) ![image](gone.png)\n"
    )
    assert broken_links(page) == [
        "gone.md: no such file",
        "page.md#not-a-heading: no heading with that anchor",
        "gone.png: no such file",
    ]


def test_the_readme_links_the_docs() -> None:
    links = relative_links(ROOT / "README.md")
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{page.name}" in links, f"the README does not link docs/{page.name}"


def _documented_default(value: object) -> str:
    """A default as the settings table shows it: as its variable would be set (``true``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _missing_rows(settings_class: type[Any], env_var_name: Callable[[str], str]) -> list[str]:
    """The rows ``| `VARIABLE` | `default` |`` of ``settings_class`` that docs/settings.md lacks."""
    page = SETTINGS_PAGE.read_text()
    defaults = settings_class()
    rows = [
        f"| `{env_var_name(field.name)}` | `{_documented_default(getattr(defaults, field.name))}` |"
        for field in fields(settings_class)
    ]
    assert rows, f"{settings_class.__module__} declares no settings"
    return [row for row in rows if row not in page]


def test_settings_page_documents_every_olf_setting_with_its_default() -> None:
    assert _missing_rows(olf_settings.Settings, olf_settings.env_var_name) == []


def test_settings_page_documents_every_customer_service_setting_with_its_default() -> None:
    missing = _missing_rows(service_settings.Settings, service_settings.env_var_name)
    assert missing == []


def test_settings_page_documents_every_orders_service_setting_with_its_default() -> None:
    missing = _missing_rows(orders_settings.Settings, orders_settings.env_var_name)
    assert missing == []
