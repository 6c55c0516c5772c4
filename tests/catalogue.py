"""The bad-input catalogues' one judge: build a case's inputs over earlier outputs, then check the lines printed,
that no stray or temporary file is left, and that a failed build leaves every earlier output as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from publish.cli import main

EARLIER = b"an earlier, good output that a failed build must leave alone\n"


def judge(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], inputs: list[str], formats: str,
          expected: list[str], builds: bool, check: Callable[[Path], None] | None,
          parses: Callable[[Path], None]) -> None:
    """Run `publish build` of `inputs` in `tmp_path` (the working folder) into out/, which holds earlier files."""
    out = tmp_path / "out"
    out.mkdir()
    stem = Path(inputs[0]).stem
    earlier = [out / f"{stem}.{fmt}" for fmt in formats.split(",")]
    for path in earlier:
        path.write_bytes(EARLIER)

    code = main(["build", *inputs, "--to", formats, "--out", "out"])
    err = capsys.readouterr().err.splitlines()

    notices = [line for line in err if not line.startswith("wrote ")]
    assert notices == expected, f"{name}: {notices}"
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(p.name for p in earlier), f"{name}: a temporary or stray file was left: {left}"
    if builds:
        assert code == 0
        for path in earlier:
            assert path.read_bytes() != EARLIER and path.stat().st_size > 0, f"{path.name} was not rewritten"
            parses(path)
        if check is not None:
            check(out)
    else:
        assert code == 1
        assert all(path.read_bytes() == EARLIER for path in earlier), f"{name}: an earlier output was changed"
