"""A CJK font for orderhub's PDFs, embedded so the labels print and search the same anywhere.

The first TrueType CJK font found is embedded (subset) in each PDF: ``ORDERHUB_CJK_FONT`` if set,
else WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``, which ``.ci/run`` installs) or another
TrueType-outline CJK font in the usual places.  Without one, reportlab's built-in
``STSong-Light`` CID font is used: its text is still real text in the PDF, but the viewer must
supply the glyphs.  (Noto CJK ships CFF outlines, which reportlab cannot embed.)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
NAME = "OrderhubCJK"
FALLBACK = "STSong-Light"


@functools.cache
def cjk_font() -> str:
    """Register the CJK font once; returns its reportlab name."""
    from reportlab.pdfbase import pdfmetrics

    wanted = os.environ.get("ORDERHUB_CJK_FONT")
    for path in ([wanted] if wanted else []) + list(CANDIDATES):
        if path and Path(path).is_file():
            from reportlab.pdfbase.ttfonts import TTFont

            try:
                pdfmetrics.registerFont(TTFont(NAME, path, subfontIndex=0))
                return NAME
            except Exception:  # noqa: BLE001 - a CFF or broken font: try the next one
                continue
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


def embedded() -> bool:
    """Whether the PDFs embed their CJK font (False: the STSong-Light fallback)."""
    return cjk_font() == NAME
