from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.dossier_preferences import DossierPreferences
  from ..models.invoices_preferences import InvoicesPreferences





T = TypeVar("T", bound="NotificationPreferences")



@_attrs_define
class NotificationPreferences:
    """ 
        Attributes:
            push_enabled (bool):
            email_enabled (bool):
            dossier (DossierPreferences):
            invoices (InvoicesPreferences):
     """

    push_enabled: bool
    email_enabled: bool
    dossier: DossierPreferences
    invoices: InvoicesPreferences





    def to_dict(self) -> dict[str, Any]:
        from ..models.dossier_preferences import DossierPreferences # noqa: PLC0415
        from ..models.invoices_preferences import InvoicesPreferences # noqa: PLC0415
        push_enabled = self.push_enabled

        email_enabled = self.email_enabled

        dossier = self.dossier.to_dict()

        invoices = self.invoices.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "push_enabled": push_enabled,
            "email_enabled": email_enabled,
            "dossier": dossier,
            "invoices": invoices,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.dossier_preferences import DossierPreferences # noqa: PLC0415
        from ..models.invoices_preferences import InvoicesPreferences # noqa: PLC0415
        d = dict(src_dict)
        push_enabled = d.pop("push_enabled")

        email_enabled = d.pop("email_enabled")

        dossier = DossierPreferences.from_dict(d.pop("dossier"))




        invoices = InvoicesPreferences.from_dict(d.pop("invoices"))




        notification_preferences = cls(
            push_enabled=push_enabled,
            email_enabled=email_enabled,
            dossier=dossier,
            invoices=invoices,
        )

        return notification_preferences

