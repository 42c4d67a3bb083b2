"""How big a file citewise will read: its size, a PDF's pages, a zip-based document's size once inflated.

The limits come from Settings (CITEWISE_MAX_FILE_MB, CITEWISE_MAX_PDF_PAGES, CITEWISE_MAX_UNZIPPED_MB) and
hold for `citewise ingest` and uploads alike. Each check returns the reason a file is refused, or None.
"""

import io
import zipfile
from dataclasses import dataclass

from citewise.core.settings import Settings

MB = 1024 * 1024  # as Streamlit counts server.maxUploadSize, so the two limits agree to the byte
_BLOCK = MB  # how much of a zip member is inflated at a time while counting


def megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


@dataclass(frozen=True)
class Limits:
    file_mb: int
    pdf_pages: int
    unzipped_mb: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(settings.max_file_mb, settings.max_pdf_pages, settings.max_unzipped_mb)

    @property
    def file_bytes(self) -> int:
        return self.file_mb * MB

    def file_too_big(self, size: int) -> str | None:
        if size <= self.file_bytes:
            return None
        return (
            f"the file is {megabytes(size)}; the limit is {self.file_mb} MB a file "
            "(set CITEWISE_MAX_FILE_MB to change it)"
        )

    def too_many_pages(self, pages: int) -> str | None:
        if pages <= self.pdf_pages:
            return None
        return (
            f"the PDF has {pages} pages; the limit is {self.pdf_pages} pages (set CITEWISE_MAX_PDF_PAGES to change it)"
        )

    def unzipped_too_big(self, data: bytes, kind: str) -> str | None:
        """Why the zip archive `data` (a .docx) inflates past the limit, or None.

        The declared sizes are checked first, which costs nothing; then every member is inflated a block at
        a time and counted, stopping past the limit, so a header that understates a member cannot slip a
        bomb through. Raises zipfile.BadZipFile (or another error) for a damaged archive."""
        limit = self.unzipped_mb * MB
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            declared = sum(member.file_size for member in members)
            if declared > limit:
                return self._unzipped_message(kind, f"{megabytes(declared)}")
            inflated = 0
            for member in members:
                with archive.open(member) as stream:
                    while block := stream.read(_BLOCK):
                        inflated += len(block)
                        if inflated > limit:
                            return self._unzipped_message(kind, f"more than {self.unzipped_mb} MB")
        return None

    def _unzipped_message(self, kind: str, size: str) -> str:
        return (
            f"the {kind} inflates to {size}; the limit is {self.unzipped_mb} MB unzipped "
            "(set CITEWISE_MAX_UNZIPPED_MB to change it)"
        )


def _defaults() -> Limits:
    fields = Settings.model_fields
    return Limits(fields["max_file_mb"].default, fields["max_pdf_pages"].default, fields["max_unzipped_mb"].default)


# For callers without Settings at hand (evals re-reading a document): the settings' own defaults.
DEFAULT_LIMITS = _defaults()
