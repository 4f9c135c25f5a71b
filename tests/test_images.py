"""Image files published with a group's pages: bytes that match the name, SVGs that only draw."""

from __future__ import annotations

import pytest

from generator.images import IMAGE_SUFFIXES, image_problem

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">{}</svg>'

RASTERS = {
    "a.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    "a.jpg": b"\xff\xd8\xff\xe0\0\x10JFIF",
    "a.jpeg": b"\xff\xd8\xff\xdb",
    "a.gif": b"GIF89a\x01\0\x01\0",
    "a.webp": b"RIFF\x24\0\0\0WEBPVP8 ",
    "a.avif": b"\0\0\0\x1cftypavif",
}


@pytest.mark.parametrize("name", sorted(RASTERS))
def test_raster_image_with_its_signature_is_accepted(name: str) -> None:
    assert image_problem(name, RASTERS[name]) is None


@pytest.mark.parametrize("name", sorted(RASTERS))
def test_raster_image_whose_bytes_are_something_else_is_refused(name: str) -> None:
    problem = image_problem(name, b"<html><script>alert(1)</script>")
    assert problem is not None and "first bytes" in problem


def test_suffix_is_case_insensitive() -> None:
    assert image_problem("PLAN.PNG", RASTERS["a.png"]) is None


@pytest.mark.parametrize("name", ["plan.html", "plan.svgz", "plan", "plan.png.exe"])
def test_other_file_names_are_not_images(name: str) -> None:
    problem = image_problem(name, RASTERS["a.png"])
    assert problem is not None and "not an image file name" in problem


def test_every_accepted_suffix_is_checked() -> None:
    assert {"." + name.rsplit(".", 1)[1] for name in RASTERS} | {".svg"} == IMAGE_SUFFIXES


@pytest.mark.parametrize(
    "body",
    [
        '<title>Plan</title><rect width="10" height="10" fill="#2e7d5b"/>',
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
        '<rect width="10" height="10" fill="url(#g)"/><use href="#g"/>',
        '<style>.a { fill: red }</style><text x="1" y="9" class="a">Gare</text>',
        '<g xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#p"/><path id="p" d="M0 0h5"/></g>',
    ],
)
def test_svg_that_only_draws_is_accepted(body: str) -> None:
    assert image_problem("plan.svg", SVG.format(body).encode()) is None


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ('<rect width="1" height="1" onclick="alert(1)"/>', "onclick"),
        ('<rect width="1" height="1" ONLOAD="alert(1)"/>', "onload"),
        ("<foreignObject><p>x</p></foreignObject>", "<foreignObject>"),
        ('<a href="https://evil.test/"><text>x</text></a>', "<a>"),
        ('<image href="https://evil.test/t.png"/>', "<image>"),
        ('<use href="https://evil.test/s.svg#x"/>', "only #references"),
        (
            '<g xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="javascript:alert(1)"/></g>',
            "only #references",
        ),
        ('<rect width="1" height="1" style="fill: url(https://evil.test/t)"/>', "refers outside"),
        ('<rect width="1" height="1" fill="url( \'//evil.test/x\')"/>', "refers outside"),
        ("<style>@import 'https://evil.test/x.css';</style>", "<style>"),
        ("<style>rect { fill: url(https://evil.test/p) }</style>", "<style>"),
        ('<set attributeName="href" to="javascript:alert(1)"/>', "<set>"),
        ('<animate attributeName="href" values="javascript:alert(1)"/>', "<animate>"),
        ('<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>', "<script>"),
    ],
)
def test_svg_that_could_run_or_reach_out_is_refused(body: str, said: str) -> None:
    problem = image_problem("plan.svg", SVG.format(body).encode())
    assert problem is not None and said in problem, problem


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "DOCTYPE"),
        (b'<?xml-stylesheet href="https://evil.test/s.css"?><svg xmlns="http://www.w3.org/2000/svg"/>', "stylesheet"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect>", "well-formed"),
        (b"<svg><rect/></svg>", "SVG namespace"),
        (b"<html><body>hello</body></html>", "SVG namespace"),
        (b"\xff\xfe not xml", "well-formed"),
    ],
)
def test_svg_that_is_not_plain_svg_is_refused(raw: bytes, said: str) -> None:
    problem = image_problem("plan.svg", raw)
    assert problem is not None and said in problem, problem
