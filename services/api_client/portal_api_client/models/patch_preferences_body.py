from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.patch_preferences_body_dossier import PatchPreferencesBodyDossier
  from ..models.patch_preferences_body_invoices import PatchPreferencesBodyInvoices





T = TypeVar("T", bound="PatchPreferencesBody")



@_attrs_define
class PatchPreferencesBody:
    """ 
        Attributes:
            push_enabled (bool | Unset):
            email_enabled (bool | Unset):
            dossier (PatchPreferencesBodyDossier | Unset):
            invoices (PatchPreferencesBodyInvoices | Unset):
     """

    push_enabled: bool | Unset = UNSET
    email_enabled: bool | Unset = UNSET
    dossier: PatchPreferencesBodyDossier | Unset = UNSET
    invoices: PatchPreferencesBodyInvoices | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.patch_preferences_body_dossier import PatchPreferencesBodyDossier # noqa: PLC0415
        from ..models.patch_preferences_body_invoices import PatchPreferencesBodyInvoices # noqa: PLC0415
        push_enabled = self.push_enabled

        email_enabled = self.email_enabled

        dossier: dict[str, Any] | Unset = UNSET
        if not isinstance(self.dossier, Unset):
            dossier = self.dossier.to_dict()

        invoices: dict[str, Any] | Unset = UNSET
        if not isinstance(self.invoices, Unset):
            invoices = self.invoices.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if push_enabled is not UNSET:
            field_dict["push_enabled"] = push_enabled
        if email_enabled is not UNSET:
            field_dict["email_enabled"] = email_enabled
        if dossier is not UNSET:
            field_dict["dossier"] = dossier
        if invoices is not UNSET:
            field_dict["invoices"] = invoices

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.patch_preferences_body_dossier import PatchPreferencesBodyDossier # noqa: PLC0415
        from ..models.patch_preferences_body_invoices import PatchPreferencesBodyInvoices # noqa: PLC0415
        d = dict(src_dict)
        push_enabled = d.pop("push_enabled", UNSET)

        email_enabled = d.pop("email_enabled", UNSET)

        _dossier = d.pop("dossier", UNSET)
        dossier: PatchPreferencesBodyDossier | Unset
        if isinstance(_dossier,  Unset):
            dossier = UNSET
        else:
            dossier = PatchPreferencesBodyDossier.from_dict(_dossier)




        _invoices = d.pop("invoices", UNSET)
        invoices: PatchPreferencesBodyInvoices | Unset
        if isinstance(_invoices,  Unset):
            invoices = UNSET
        else:
            invoices = PatchPreferencesBodyInvoices.from_dict(_invoices)




        patch_preferences_body = cls(
            push_enabled=push_enabled,
            email_enabled=email_enabled,
            dossier=dossier,
            invoices=invoices,
        )

        return patch_preferences_body

