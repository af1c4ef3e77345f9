"""A form's errors, shown twice as RGAA asks: in a summary at the top (each linking to its field) and next to
the field itself. The messages are the services' own French problem details."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_web.api import ApiError


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)  # field name -> message next to it
    general: list[str] = field(default_factory=list)  # messages that belong to no one field

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, message)
        else:
            self.general.append(message)

    def require(self, form: dict[str, str], name: str, message: str) -> str:
        """The field's value; `message` next to it when it is empty ("Indiquez votre identifiant.")."""
        value = form.get(name, "")
        if not value.strip():
            self.add(name, message)
        return value

    @classmethod
    def of(cls, error: ApiError, known: set[str], fallback: str | None = None) -> FormErrors:
        """The service's answer, next to the field it names when the form has that field (else `fallback`)."""
        errors = cls()
        named = [f for f in error.fields if f in known]
        errors.add(named[0] if named else fallback, error.message)
        return errors
