"""Server-rendered inline SVG charts: no script, no library, nothing fetched. Each bar or point is a
link to its dossiers with an accessible name; every chart sits beside a table with the same figures
(the text alternative), so the SVG is a picture of the table, not its only carrier."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

__all__ = ["Bar", "hbars", "vbars"]

COLOURS = ("#1f5fa8", "#2e8540", "#b35c00", "#6b3fa0")  # ≥ 4.5:1 on white


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str
    text: str  # the value as read out ("12 hồ sơ", "87,5 %")


def hbars(title: str, bars: list[Bar], *, maximum: float | None = None, colour: str = COLOURS[0],
          label_width: int = 260, width: int = 720) -> SafeString:
    """Horizontal bars, one row per item, the label at the left and the value at the bar's end."""
    row, top = 26, 8
    height = top * 2 + row * max(len(bars), 1)
    # room right of the longest bar for the longest value text (13-px DejaVu Sans ≈ 7.5 px a character)
    span = width - label_width - max([60] + [int(len(b.text) * 7.5) + 12 for b in bars])
    fits = int((label_width - 12) / 7.5)  # characters of 13-px DejaVu Sans that fit left of the bars
    biggest = maximum if maximum is not None else max([b.value for b in bars] + [1])
    parts = [f'<svg class="chart" role="group" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">']
    for i, b in enumerate(bars):
        y = top + i * row
        length = 0 if biggest <= 0 else max(1.0, span * b.value / biggest) if b.value else 0
        label = b.label if len(b.label) <= fits else b.label[:fits - 1] + "…"  # the full name is in the table
        parts.append(
            f'<a href="{escape(b.href)}" aria-label="{escape(f"{b.label}: {b.text}")}">'
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1b1b1b">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="{colour}">'
            f'<title>{escape(f"{b.label}: {b.text}")}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" font-size="13" fill="#1b1b1b">{escape(b.text)}</text></a>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def vbars(title: str, labels: list[str], series: list[tuple[str, list[Bar]]], *, width: int = 720,
          height: int = 240) -> SafeString:
    """Vertical bars grouped by label (months), one colour per series, with a legend."""
    left, bottom, top = 40, 40, 30
    groups = max(len(labels), 1)
    slot = (width - left - 10) / groups
    bar = max(4.0, (slot - 6) / max(len(series), 1))
    biggest = max([b.value for _, bars in series for b in bars] + [1])
    plot = height - bottom - top
    parts = [f'<svg class="chart" role="group" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#555"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="#1b1b1b">{int(biggest)}</text>',
             f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" font-size="11" fill="#1b1b1b">0</text>']
    for s, (name, _) in enumerate(series):
        parts.append(f'<rect x="{left + s * 170}" y="6" width="12" height="12" fill="{COLOURS[s % len(COLOURS)]}"/>'
                     f'<text x="{left + s * 170 + 18}" y="16" font-size="12" fill="#1b1b1b">{escape(name)}</text>')
    for g, label in enumerate(labels):
        x0 = left + g * slot + 3
        for s, (name, bars) in enumerate(series):
            b = bars[g]
            h = plot * b.value / biggest
            x, y = x0 + s * bar, height - bottom - h
            parts.append(f'<a href="{escape(b.href)}" aria-label="{escape(f"{name} {label}: {b.text}")}">'
                         f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" height="{max(h, 0.5):.1f}" '
                         f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(f"{name} {label}: {b.text}")}</title></rect></a>')
        parts.append(f'<text x="{x0 + slot / 2 - 3:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
                     f'fill="#1b1b1b">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
