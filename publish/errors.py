"""The one exception tree: every error a user can cause is a PublishError."""

from __future__ import annotations

from pathlib import Path


class PublishError(Exception):
    """A user's mistake or an unusable input: shown as one line, never as a traceback."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line

    def __reduce__(self) -> tuple[type, tuple[str], dict[str, object]]:
        """Keep the path and line when the error crosses a process boundary (formats render in parallel)."""
        return (type(self), (self.message,), self.__dict__)

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class InputError(PublishError):
    """An input file is missing, unreadable, or not in the format it claims."""


class ModelError(PublishError):
    """An article model (usually its JSON form) is malformed or of another version."""


class FormatError(PublishError):
    """An unknown or duplicate reader or backend name."""


class ResourceError(PublishError):
    """A resource the article refers to (an image, a URL) is missing or refused."""


class RenderError(PublishError):
    """A backend met something in the model it cannot render."""


class UnknownNodeError(ModelError, RenderError):
    """A block or inline of no model type (a plugin's, a test's): the model is malformed, and no backend renders
    it."""
