"""Reading submitted HTML forms: text fields as the user typed them, numbers with an error per field."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@dataclass
class FormErrors:
    """Messages keyed by the form field they belong beside; ``form`` is for problems of the whole form."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def optional_int(form: FormData, name: str, errors: FormErrors, *, label: str) -> int | None:
    raw = text(form, name).strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        errors.add(name, f"{label} must be a whole number of pixels, like 32.")
        return None
    return int(raw)
