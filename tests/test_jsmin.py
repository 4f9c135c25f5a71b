"""Shipped scripts are minified by rjsmin without changing what they do: the syntax the
runtime uses survives (template literals, regex literals, optional chaining, arrow
functions, classes, async/await), line breaks that automatic semicolon insertion reads
stay, and every shipped script is lighter than its sources (with the modules it imports)."""

from __future__ import annotations

import gzip

import pytest

from generator.render.static import bundle
from generator.render.static import static_bytes as _static
from generator.themes import TEMPLATES_DIR

SCRIPTS = sorted(p.name for p in (TEMPLATES_DIR / "static").glob("*.js"))


def minify(source: str) -> str:
    import rjsmin

    return str(rjsmin.jsmin(source))


@pytest.mark.parametrize(
    ("source", "shipped"),
    [
        ("// header\nconst a = 1;\n\n  /* block */ if (a) {\n    run(); // trailing\n  }\n",
         "const a=1;if(a){run();}"),
        ("const t = `one // not a comment ${a + b}\n  two /* nor this */`;\n",
         "const t=`one // not a comment ${a + b}\n  two /* nor this */`;"),
        ("const n = `a ${`b ${c}`} d`;\n", "const n=`a ${`b ${c}`} d`;"),
        ('if (/^https?:\\/\\/[^/?#]+$/.test(o)) go();\n', 'if(/^https?:\\/\\/[^/?#]+$/.test(o))go();'),
        ('const c = e.target.closest?.("input") ?? null;\n', 'const c=e.target.closest?.("input")??null;'),
        ("class A { async run() { await f(); } }\nconst g = async (x) => x ** 2;\n",
         "class A{async run(){await f();}}\nconst g=async(x)=>x**2;"),
        ("let a = 1\nlet b = a\n++b\n", "let a=1\nlet b=a\n++b"),  # ASI reads these breaks
        ('const url = "https://x.test/a // b";\n', 'const url="https://x.test/a // b";'),
    ],
)  # fmt: skip
def test_the_syntax_the_runtime_uses_survives_minification(source: str, shipped: str) -> None:
    assert minify(source) == shipped


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_shipped_script_is_minified_and_lighter(name: str) -> None:
    source = bundle(TEMPLATES_DIR / "static" / name).encode("utf-8")  # with the modules it imports
    shipped = _static(name)
    assert b"\n//" not in shipped and not shipped.startswith(b"//")
    assert len(shipped) < len(source)
    assert len(gzip.compress(shipped, 9)) < len(gzip.compress(source, 9))
