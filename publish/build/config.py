"""The project file, publish.toml: build defaults (theme, formats, output folder, templates, page size, publisher,
logo) kept beside a newsroom's articles; command-line flags win over it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.errors import PublishError
from publish.present.theme import HUGE_NUMBER, huge_number_line, page_size_name, toml_line
from publish.readers.sanitise import CONTROLS

SCHEDULER_ENV = "PUBLISH_SCHEDULER"
"""A Dask scheduler's address (tcp://HOST:PORT) to run batches on, when --scheduler is not given."""

CONFIG_NAME = "publish.toml"
"""The file looked for in the working folder."""
KEYS = {
    "theme": "a built-in theme's name or a theme folder",
    "formats": "a list of output formats",
    "out": "the output folder",
    "templates": "a template folder, or a list of them",
    "page_size": "A4, A5, Letter or Legal",
    "publisher": "the publisher's name, for the letterhead",
    "logo": "a PNG, JPEG or GIF logo, for the letterhead",
    "timeout": "seconds one document's PDF may take to lay out (0 for no limit)",
}


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """The defaults a publish.toml holds; None (or empty) where it says nothing. Paths are absolute."""

    path: Path | None = None
    """The file they were read from; None when there is none."""
    theme: str | None = None
    """A built-in theme's name, or the absolute path of a theme folder."""
    formats: tuple[str, ...] | None = None
    """Output formats."""
    out: Path | None = None
    """The output folder."""
    templates: tuple[Path, ...] = ()
    """Template folders searched before the theme's and the built-in templates."""
    page_size: str | None = None
    """A page size that replaces the theme's."""
    publisher: str | None = None
    """The publisher's name, replacing the theme's."""
    logo: Path | None = None
    """The publisher's logo, replacing the theme's."""
    timeout: float | None = None
    """Seconds one document's PDF may take to lay out (0: no limit); None for the default."""


def load_config(path: Path | None = None, cwd: Path | None = None) -> ProjectConfig:
    """The project file at `path`, else publish.toml in the working folder if there is one, else no defaults."""
    if path is None:
        found = (cwd or Path.cwd()) / CONFIG_NAME
        if not found.is_file():
            return ProjectConfig()
        path = found
    elif not path.is_file():
        raise PublishError("project file not found", path=path)
    try:
        source = path.read_text(encoding="utf-8")
        data = tomllib.loads(source)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PublishError(f"not a valid project file: {exc}", path=path) from None
    except OSError as exc:
        raise PublishError(f"cannot read: {exc.strerror}", path=path) from None
    except ValueError:  # an integer too long for Python to read
        raise PublishError(f"not a valid project file: {HUGE_NUMBER}", path=path,
                           line=huge_number_line(source)) from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        known = "; ".join(f"{key} ({meaning})" for key, meaning in KEYS.items())
        raise PublishError(f"unknown key(s) {', '.join(unknown)}; a project file may set {known}", path=path,
                           line=_line(path, unknown[0]))
    folder = path.resolve().parent
    return ProjectConfig(
        path=path,
        theme=_theme(_string(data, "theme", path), folder),
        formats=_formats(data.get("formats"), path),
        out=_folder_path(_string(data, "out", path), folder),
        templates=_templates(data.get("templates"), folder, path),
        page_size=_page_size(_string(data, "page_size", path), path),
        publisher=_string(data, "publisher", path),
        logo=_file(_string(data, "logo", path), folder, "logo", path),
        timeout=_seconds(data.get("timeout"), path),
    )


def _seconds(value: Any, path: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise PublishError(f"timeout = {value!r} must be the seconds one document's PDF may take to lay out, 0 or "
                           "more (0 for no limit)", path=path)
    return float(value)


def _string(data: dict[str, Any], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PublishError(f"{key} = {value!r} must be a string ({KEYS[key]})", path=path, line=_line(path, key))
    _no_controls(key, value, path)
    return value


def _no_controls(key: str, value: str, path: Path) -> None:
    """Refuse a control character (a NUL, an escape) in a name or path: no file system or font name holds one."""
    bad = CONTROLS.search(value)
    if bad:
        raise PublishError(f"{key} = {value!r} holds the control character U+{ord(bad.group()):04X}",
                           path=path, line=_line(path, key))


def _line(path: Path, key: str) -> int | None:
    """The line of a top-level key in the project file, for a message."""
    try:
        return toml_line(path.read_text(encoding="utf-8"), "", key)
    except (OSError, UnicodeDecodeError):
        return None


def _theme(value: str | None, folder: Path) -> str | None:
    """A theme folder relative to the project file becomes absolute; a built-in name stays as it is."""
    if value is None:
        return None
    candidate = folder / value
    return str(candidate.resolve()) if (candidate / "theme.toml").is_file() else value


def _formats(value: Any, path: Path) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PublishError(f"formats = {value!r} must be a list of output formats, such as [\"pdf\", \"docx\"]",
                           path=path, line=_line(path, "formats"))
    return tuple(v.strip() for v in value)


def _folder_path(value: str | None, folder: Path) -> Path | None:
    return None if value is None else folder / value


def _templates(value: Any, folder: Path, path: Path) -> tuple[Path, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PublishError(f"templates = {value!r} must be a folder or a list of folders", path=path,
                           line=_line(path, "templates"))
    out = []
    for item in values:
        _no_controls("templates", item, path)
        candidate = (folder / item).resolve()
        if not candidate.is_dir():
            raise PublishError(f"templates: folder {item!r} not found (looked for {candidate})", path=path,
                               line=_line(path, "templates"))
        out.append(candidate)
    return tuple(out)


def _page_size(value: str | None, path: Path) -> str | None:
    if value is None:
        return None
    try:
        return page_size_name(value)
    except PublishError as exc:
        raise PublishError(f"page_size: {exc.message}", path=path, line=_line(path, "page_size")) from None


def _file(value: str | None, folder: Path, key: str, path: Path) -> Path | None:
    if value is None or not value.strip():
        return None
    candidate = (folder / value).resolve()
    if not candidate.is_file():
        raise PublishError(f"{key}: file {value!r} not found (looked for {candidate})", path=path,
                           line=_line(path, key))
    return candidate
