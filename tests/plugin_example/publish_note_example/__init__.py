"""An example publish plugin: the specs publish reads to list and choose its reader and backend (nothing heavy)."""

from publish.backends import BackendSpec
from publish.readers import ReaderSpec

READER = ReaderSpec("note", (".note",), "publish_note_example.reader",
                    "a note: the first line is the headline, then paragraphs between blank lines")
BACKEND = BackendSpec("plaintext", ".txt", "publish_note_example.plaintext", "the article as plain UTF-8 text")
