"""The attendance certificate (听课证明) as a PDF: A4 landscape, Chinese text in a TrueType
CJK font embedded in the file (fpdf2 subsets and embeds it: ``/FontFile2``), with the code
anyone may check at ``training:certificate_check``.

The font is ``settings.TRAINING_CERT_FONT`` when set, else the first of Debian's CJK fonts
that exists (``make fonts`` installs fonts-wqy-microhei). Without one the certificate cannot
be made: ``NoFont`` says so in Chinese (the page shows it; no 500)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from fpdf import FPDF

from gonghui.common.errors import DomainError
from gonghui.common.formats import cn_date

FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)


class NoFont(DomainError):
    status = 503

    def __init__(self, path: str | None = None):
        where = f"（{path}）" if path else "（fonts-wqy-microhei 或 fonts-noto-cjk）"
        super().__init__(
            f"服务器未安装中文字体{where}，暂时无法生成听课证明，请联系系统管理员执行 make fonts",
            code="no_font",
        )


def font_path() -> str:
    configured = getattr(settings, "TRAINING_CERT_FONT", "")
    if configured:
        if Path(configured).is_file():
            return configured
        raise NoFont(configured)
    found = next((f for f in FONTS if Path(f).is_file()), None)
    if found is None:
        raise NoFont()
    return found


def mask_holder(name: str) -> str:
    """The holder's name as the public check page shows it: first and last character kept
    (王*国, 欧阳**明), a two-character name keeps its first (王*)."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def certificate_pdf(
    *, code: str, holder: str, course: str, session: str, organiser: str, held_on, check_url: str
) -> bytes:
    """One certificate, A4 landscape."""
    path = font_path()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"听课证明 {code}")
    pdf.set_creator("北京市总工会劳模工匠服务平台")
    pdf.add_font(
        "cjk", fname=path, **({"collection_font_number": 0} if path.endswith(".ttc") else {})
    )
    pdf.add_page()
    pdf.set_draw_color(180, 30, 40)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, 273, 186)
    pdf.set_line_width(0.4)
    pdf.rect(16, 16, 265, 178)
    pdf.set_text_color(180, 30, 40)
    pdf.set_font("cjk", size=36)
    pdf.set_xy(16, 38)
    pdf.cell(265, 16, "听 课 证 明", align="C")
    pdf.set_text_color(31, 35, 41)
    pdf.set_font("cjk", size=18)
    pdf.set_xy(40, 78)
    text = (
        f"{holder} 同志：\n"
        f"    于 {cn_date(held_on)} 参加了 {organiser} 举办的“{course}”{session}，"
        f"完成现场学习，特此证明。"
    )
    pdf.multi_cell(217, 12, text)
    pdf.set_font("cjk", size=16)
    pdf.set_xy(150, 150)
    pdf.cell(110, 10, organiser, align="R")
    pdf.set_xy(150, 160)
    pdf.cell(110, 10, cn_date(held_on), align="R")
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(100, 100, 100)
    pdf.set_xy(24, 176)
    pdf.cell(250, 6, f"证书验证码：{code}    查验：{check_url}")
    return bytes(pdf.output())
