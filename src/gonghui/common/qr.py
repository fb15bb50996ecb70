"""QR codes as inline SVG (segno): crisp at any size, no image request, nothing inline
for the CSP to refuse. The SVG has a viewBox and no size, so CSS sizes it."""

import segno


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(
        scale=4, border=4, omitsize=True, svgclass="qr-code", dark="#1f2329"
    )
