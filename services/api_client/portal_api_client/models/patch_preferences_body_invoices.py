from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="PatchPreferencesBodyInvoices")



@_attrs_define
class PatchPreferencesBodyInvoices:
    """ 
        Attributes:
            enabled (bool | Unset):
            issued (bool | Unset):
            payment_status_changed (bool | Unset):
            direct_debit_refused (bool | Unset):
            unpaid_reminder (bool | Unset):
            online_payment_blocked (bool | Unset):
            email (bool | Unset):
     """

    enabled: bool | Unset = UNSET
    issued: bool | Unset = UNSET
    payment_status_changed: bool | Unset = UNSET
    direct_debit_refused: bool | Unset = UNSET
    unpaid_reminder: bool | Unset = UNSET
    online_payment_blocked: bool | Unset = UNSET
    email: bool | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        issued = self.issued

        payment_status_changed = self.payment_status_changed

        direct_debit_refused = self.direct_debit_refused

        unpaid_reminder = self.unpaid_reminder

        online_payment_blocked = self.online_payment_blocked

        email = self.email


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if issued is not UNSET:
            field_dict["issued"] = issued
        if payment_status_changed is not UNSET:
            field_dict["payment_status_changed"] = payment_status_changed
        if direct_debit_refused is not UNSET:
            field_dict["direct_debit_refused"] = direct_debit_refused
        if unpaid_reminder is not UNSET:
            field_dict["unpaid_reminder"] = unpaid_reminder
        if online_payment_blocked is not UNSET:
            field_dict["online_payment_blocked"] = online_payment_blocked
        if email is not UNSET:
            field_dict["email"] = email

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        issued = d.pop("issued", UNSET)

        payment_status_changed = d.pop("payment_status_changed", UNSET)

        direct_debit_refused = d.pop("direct_debit_refused", UNSET)

        unpaid_reminder = d.pop("unpaid_reminder", UNSET)

        online_payment_blocked = d.pop("online_payment_blocked", UNSET)

        email = d.pop("email", UNSET)

        patch_preferences_body_invoices = cls(
            enabled=enabled,
            issued=issued,
            payment_status_changed=payment_status_changed,
            direct_debit_refused=direct_debit_refused,
            unpaid_reminder=unpaid_reminder,
            online_payment_blocked=online_payment_blocked,
            email=email,
        )

        return patch_preferences_body_invoices

