"""publish: read a news article once into one model, render it as print-ready HTML, PDF, DOCX and EPUB."""

__version__ = "0.1.0"
